using System.Buffers;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
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
        // From here on it runs on this thread: what it allocates is measured (kept small: see WriteCompacted).
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var items = PlanCompactedRecords(snapshot);
        var target = snapshot.Segments[^1];
        var temporary = Path.Combine(_directory, Segment.FileName(target.Id) + ".compact");
        var estimate = Segment.FileHeaderSize + RecordCodec.HeaderSize + items.Sum(i => i.Record is null ? (long)i.Location.Length : 256);
        var offsets = new Dictionary<long, (long Offset, int Length)>(items.Count);
        long offset;
        try
        {
            using var compacted = Segment.Create(_directory, target.Id, estimate, snapshot.Segments[0].CoversFromId, temporary, target.LastSequence);
            offset = WriteCompacted(compacted, items, offsets);
            // The estimate is an upper bound for copies (a record written anew may take more: the file grows); the
            // file ends right after its end marker.
            RandomAccess.SetLength(compacted.Handle, offset + RecordCodec.HeaderSize);
            Native.DataSync(compacted.Handle);
        }
        catch
        {
            // A half-written copy must not stay: the next attempt creates the same file anew (a full disk would
            // otherwise block the very compaction that frees space until a restart).
            File.Delete(temporary);
            throw;
        }
        LastCompactionAllocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        lock (_lock)
        {
            // The rename replaces the newest covered segment atomically; the older ones are deleted after,
            // and recovery ignores any a crash leaves behind (the new file says what it covers).
            target.Dispose();
            File.Move(temporary, target.Path, overwrite: true);
            Native.SyncDirectory(_directory);
            var replacement = Segment.Open(target.Path, target.Id);
            replacement.WriteOffset = replacement.FlushedOffset = offset;
            replacement.FirstSequence = items.Count > 0 ? items[0].Sequence : target.FirstSequence;
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

    /// <summary>
    /// What the compacted segment holds, in sequence order: records copied as they are (a <c>Location</c>) or
    /// written anew (a <c>Record</c>: an operation taken out of its transaction, a delivery, a producer mark, a
    /// commit). Only locations here, never the messages themselves: half a million live messages must not be
    /// read into memory at once (that once held over a GiB after a large drain).
    /// </summary>
    private List<CompactedItem> PlanCompactedRecords(Snapshot snapshot)
    {
        var items = new List<CompactedItem>(snapshot.Messages.Count + snapshot.Meta.Count);
        foreach (var (_, meta) in snapshot.Meta)
        {
            // An operation of a transaction (a scheduled job's advance, delivered with its message) is kept on its own.
            items.Add(meta.Location.Operation >= 0 ? new(meta.Sequence, default, ReadOperation(meta.Location)) : new(meta.Sequence, meta.Location, null));
        }
        var messageSequences = new HashSet<long>(snapshot.Messages.Count);
        foreach (var message in snapshot.Messages)
        {
            items.Add(message.Location.Operation >= 0 ? new(message.Sequence, default, ReadOperation(message.Location)) : new(message.Sequence, message.Location, null));
            messageSequences.Add(message.Sequence);
            // A delivery recorded after the range was sealed stays where it is, in a later segment.
            if (message.DeliveryCount > 0 && message.DeliveredSequence <= snapshot.Segments[^1].LastSequence)
            {
                var added = (MessageAddedRecord)(ReadOperation(message.Location) ?? ReadAt(message.Location));
                items.Add(new(message.DeliveredSequence, default, new MessageDeliveredRecord(added.Queue, message.Sequence, message.DeliveryCount)));
            }
        }
        foreach (var (producerId, producerSequence, recordSequence) in snapshot.Producers)
        {
            // The mark outlives the message that carried it, so a late resend is still recognised.
            if (!messageSequences.Contains(recordSequence))
            {
                items.Add(new(recordSequence, default, new ProducerMarkRecord(producerId, producerSequence)));
            }
        }
        foreach (var (sequence, committed) in snapshot.Committed)
        {
            // A commit's identity outlives the messages of its transaction: a repeated COMMIT still finds it.
            items.Add(new(sequence, default, committed));
        }
        items.Sort((a, b) => a.Sequence.CompareTo(b.Sequence));
        return items;
    }

    /// <summary>The operation a location points into, or null for a record of its own.</summary>
    private StoreRecord? ReadOperation(Location location) =>
        location.Operation >= 0 ? ((TransactionRecord)ReadAt(location)).Operations[location.Operation] : null;

    /// <summary>
    /// Writes the planned records through one staging buffer of about <see cref="CompactionChunk"/>: a copied
    /// record's bytes go from the old file to the buffer untouched (same sequence and epoch, so the same bytes
    /// re-encoding would give), without being decoded. Returns where the records end.
    /// </summary>
    private long WriteCompacted(Segment compacted, List<CompactedItem> items, Dictionary<long, (long Offset, int Length)> offsets)
    {
        var staging = new ArrayBufferWriter<byte>(CompactionChunk + 64 * 1024);
        var flushedTo = (long)Segment.FileHeaderSize;
        foreach (var item in items)
        {
            int length;
            if (item.Record is null)
            {
                length = item.Location.Length;
                var read = RandomAccess.Read(item.Location.Segment.Handle, staging.GetSpan(length)[..length], item.Location.Offset);
                if (read != length)
                {
                    throw new IOException($"{item.Location.Segment.Path}: short read at {item.Location.Offset} while compacting");
                }
                staging.Advance(length);
            }
            else
            {
                length = RecordCodec.Write(staging, item.Record, Epochs.EpochAt(item.Sequence), item.Sequence);
            }
            offsets[item.Sequence] = (flushedTo + staging.WrittenCount - length, length);
            if (staging.WrittenCount >= CompactionChunk)
            {
                RandomAccess.Write(compacted.Handle, staging.WrittenSpan, flushedTo);
                flushedTo += staging.WrittenCount;
                staging.ResetWrittenCount();
            }
        }
        RandomAccess.Write(compacted.Handle, staging.WrittenSpan, flushedTo);
        return flushedTo + staging.WrittenCount;
    }

    /// <summary>Points the index at the compacted copies (of what is still live now).</summary>
    private void Relocate(Snapshot snapshot, Segment replacement, Dictionary<long, (long Offset, int Length)> offsets)
    {
        replacement.LiveBytes = 0;
        foreach (var message in snapshot.Messages)
        {
            ref var live = ref CollectionsMarshal.GetValueRefOrNullRef(_liveMessages, message.Sequence);
            if (!Unsafe.IsNullRef(ref live) && offsets.TryGetValue(message.Sequence, out var at))
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

    /// <summary>How much compaction writes at a time.</summary>
    private const int CompactionChunk = 256 * 1024;

    /// <summary>Bytes the last compaction allocated while copying (for tests and diagnostics): a few chunks, not the data.</summary>
    internal long LastCompactionAllocated { get; private set; }

    private readonly record struct SnapshotMessage(long Sequence, Location Location, long DeliveredSequence, int DeliveryCount);

    private readonly record struct CompactedItem(long Sequence, Location Location, StoreRecord? Record);

    private sealed record Snapshot(
        List<Segment> Segments,
        List<SnapshotMessage> Messages,
        List<(string Key, LiveRecord Record)> Meta,
        List<(string ProducerId, long ProducerSequence, long RecordSequence)> Producers,
        List<(long Sequence, TransactionCommittedRecord Record)> Committed,
        long LastSequence,
        long WrittenBytes);
}
