using System.Buffers;
using System.Diagnostics;
using Broker.Core.Storage;

namespace Broker.Storage;

public sealed partial class Journal
{
    private Task? _compactor;
    private int _compacting;

    /// <summary>
    /// Rewrites every sealed segment into one holding only what is still live (with the records' original
    /// sequence numbers), when dead records make up most of them. Runs beside appends: it reads a snapshot
    /// of the index, waits until everything that snapshot relied on is durable, writes the new file, then
    /// swaps it in under the lock. Disk use follows the live data instead of the history.
    /// </summary>
    /// <returns>True when it compacted.</returns>
    public async Task<bool> CompactAsync()
    {
        // One at a time: two would rewrite the same segments.
        if (Interlocked.Exchange(ref _compacting, 1) == 1)
        {
            return false;
        }
        try
        {
            return await CompactOnceAsync();
        }
        finally
        {
            Volatile.Write(ref _compacting, 0);
        }
    }

    private async Task<bool> CompactOnceAsync()
    {
        Snapshot snapshot;
        lock (_lock)
        {
            if (!_replayed || _commit.Failure is not null || _segments.Count - 1 < _options.CompactionMinSegments)
            {
                return false;
            }
            var sealedSegments = _segments[..^1];
            var written = sealedSegments.Sum(s => s.WriteOffset - Segment.FileHeaderSize);
            var live = sealedSegments.Sum(s => s.LiveBytes);
            if (written == 0 || live > written * (1 - _options.CompactionGarbageRatio))
            {
                return false;
            }
            var inRange = sealedSegments.ToHashSet();
            snapshot = new Snapshot(
                sealedSegments,
                [.. _liveMessages.Where(m => inRange.Contains(m.Value.Location.Segment))
                    .Select(m => new SnapshotMessage(m.Key, m.Value.Location, m.Value.DeliveredSequence, m.Value.DeliveryCount))],
                [.. _liveMeta.Where(m => inRange.Contains(m.Value.Location.Segment)).Select(m => (m.Key, m.Value))],
                [.. _producers.Where(p => p.Value.RecordSequence <= sealedSegments[^1].LastSequence)
                    .Select(p => (p.Key, p.Value.ProducerSequence, p.Value.RecordSequence))],
                [.. _committed.Values.Where(c => c.Sequence <= sealedSegments[^1].LastSequence)],
                _nextSequence - 1,
                written);
        }
        // Whatever the snapshot dropped was removed by records up to here; they must be durable before
        // the records they cancel disappear.
        await WhenDurable(snapshot.LastSequence);
        var watch = Stopwatch.StartNew();
        var output = BuildCompactedRecords(snapshot);
        var target = snapshot.Segments[^1];
        var temporary = Path.Combine(_directory, Segment.FileName(target.Id) + ".compact");
        var buffer = new ArrayBufferWriter<byte>(64 * 1024);
        var offsets = new Dictionary<long, (long Offset, int Length)>();
        var offset = (long)Segment.FileHeaderSize;
        foreach (var (sequence, record) in output)
        {
            var length = RecordCodec.Write(buffer, record, Epochs.EpochAt(sequence), sequence);
            offsets[sequence] = (offset, length);
            offset += length;
        }
        using (var compacted = Segment.Create(_directory, target.Id, offset + RecordCodec.HeaderSize, snapshot.Segments[0].CoversFromId, temporary, target.LastSequence))
        {
            RandomAccess.Write(compacted.Handle, buffer.WrittenSpan, Segment.FileHeaderSize);
            Native.DataSync(compacted.Handle);
        }
        lock (_lock)
        {
            // The rename replaces the newest covered segment atomically; the older ones are deleted after,
            // and recovery ignores any a crash leaves behind (the new file says what it covers).
            target.Dispose();
            File.Move(temporary, target.Path, overwrite: true);
            Native.SyncDirectory(_directory);
            var replacement = Segment.Open(target.Path, target.Id);
            replacement.WriteOffset = replacement.FlushedOffset = offset;
            replacement.FirstSequence = output.Count > 0 ? output[0].Sequence : target.FirstSequence;
            replacement.LastSequence = target.LastSequence;
            foreach (var old in snapshot.Segments[..^1])
            {
                old.Dispose();
                File.Delete(old.Path);
            }
            Native.SyncDirectory(_directory);
            _segments.RemoveRange(0, snapshot.Segments.Count);
            _segments.Insert(0, replacement);
            Relocate(snapshot, replacement, offsets);
            HistoryStart = replacement.LastSequence + 1;
            FirstSequence = replacement.FirstSequence;
        }
        JournalLog.Compacted(_logger, _directory, snapshot.Segments.Count, snapshot.WrittenBytes, offset, watch.ElapsedMilliseconds);
        return true;
    }

    private List<(long Sequence, StoreRecord Record)> BuildCompactedRecords(Snapshot snapshot)
    {
        var output = new List<(long Sequence, StoreRecord Record)>(snapshot.Messages.Count + snapshot.Meta.Count);
        foreach (var (_, meta) in snapshot.Meta)
        {
            var record = ReadAt(meta.Location);
            // An operation of a transaction (a scheduled job's advance, delivered with its message) is kept on its own.
            if (meta.Location.Operation >= 0 && record is TransactionRecord transaction)
            {
                record = transaction.Operations[meta.Location.Operation];
            }
            output.Add((meta.Sequence, record));
        }
        var messageSequences = new HashSet<long>();
        foreach (var message in snapshot.Messages)
        {
            var record = ReadAt(message.Location);
            var added = record as MessageAddedRecord ?? (MessageAddedRecord)((TransactionRecord)record).Operations[message.Location.Operation];
            output.Add((message.Sequence, added));
            messageSequences.Add(message.Sequence);
            // A delivery recorded after the range was sealed stays where it is, in a later segment.
            if (message.DeliveryCount > 0 && message.DeliveredSequence <= snapshot.Segments[^1].LastSequence)
            {
                output.Add((message.DeliveredSequence, new MessageDeliveredRecord(added.Queue, message.Sequence, message.DeliveryCount)));
            }
        }
        foreach (var (producerId, producerSequence, recordSequence) in snapshot.Producers)
        {
            // The mark outlives the message that carried it, so a late resend is still recognised.
            if (!messageSequences.Contains(recordSequence))
            {
                output.Add((recordSequence, new ProducerMarkRecord(producerId, producerSequence)));
            }
        }
        foreach (var (sequence, committed) in snapshot.Committed)
        {
            // A commit's identity outlives the messages of its transaction: a repeated COMMIT still finds it.
            output.Add((sequence, committed));
        }
        output.Sort((a, b) => a.Sequence.CompareTo(b.Sequence));
        return output;
    }

    /// <summary>Points the index at the compacted copies (of what is still live now).</summary>
    private void Relocate(Snapshot snapshot, Segment replacement, Dictionary<long, (long Offset, int Length)> offsets)
    {
        replacement.LiveBytes = 0;
        foreach (var message in snapshot.Messages)
        {
            if (_liveMessages.TryGetValue(message.Sequence, out var live) && offsets.TryGetValue(message.Sequence, out var at))
            {
                live.Location = new Location(replacement, at.Offset, at.Length, -1);
                live.Bytes = at.Length;
                replacement.LiveBytes += at.Length;
            }
        }
        foreach (var (key, meta) in snapshot.Meta)
        {
            if (_liveMeta.TryGetValue(key, out var live) && live.Sequence == meta.Sequence && offsets.TryGetValue(meta.Sequence, out var at))
            {
                _liveMeta[key] = new LiveRecord(meta.Sequence, new Location(replacement, at.Offset, at.Length, -1), at.Length);
                replacement.LiveBytes += at.Length;
            }
        }
    }

    private void StartCompactor() => _compactor = Task.Run(async () =>
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                try
                {
                    await CompactAsync();
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
                {
                    JournalLog.CompactionFailed(_logger, _directory, e.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }
    });

    private sealed record SnapshotMessage(long Sequence, Location Location, long DeliveredSequence, int DeliveryCount);

    private sealed record Snapshot(
        List<Segment> Segments,
        List<SnapshotMessage> Messages,
        List<(string Key, LiveRecord Record)> Meta,
        List<(string ProducerId, long ProducerSequence, long RecordSequence)> Producers,
        List<(long Sequence, TransactionCommittedRecord Record)> Committed,
        long LastSequence,
        long WrittenBytes);
}
