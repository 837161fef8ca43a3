using System.Diagnostics;
using Broker.Core.Storage;

namespace Broker.Storage;

public sealed partial class Journal
{
    /// <summary>Damaged records skipped at the last replay (only with <see cref="JournalOptions.SkipDamagedRecords"/>).</summary>
    public int DamagedRecordsSkipped { get; private set; }

    /// <summary>
    /// Reads every record back in order, for the broker to rebuild itself, and rebuilds the journal's own
    /// index on the way. A torn record at the very end (a write interrupted by power loss) is cut off; damage
    /// anywhere else stops here, naming the file and offset, unless damaged records may be skipped. The first
    /// replay must be enumerated completely before the first append. Called again (a broker that served as
    /// master and now follows), it reads the records back from the files as they stand (<see cref="ReadBack"/>).
    /// </summary>
    public IEnumerable<(long Sequence, StoreRecord Record)> Replay()
    {
        bool again;
        lock (_lock)
        {
            again = _replayed;
        }
        return again ? ReadBack() : ReplayOnOpen();
    }

    private IEnumerable<(long Sequence, StoreRecord Record)> ReplayOnOpen()
    {
        var watch = Stopwatch.StartNew();
        OpenSegments();
        foreach (var segment in _segments)
        {
            foreach (var entry in ReplaySegment(segment, isLast: segment == _segments[^1]))
            {
                yield return entry;
            }
            // A compacted segment stands for its whole range, though its last records may be gone.
            segment.LastSequence = Math.Max(segment.LastSequence, segment.CoversUpTo);
            _nextSequence = Math.Max(_nextSequence, segment.LastSequence + 1);
        }
        lock (_lock)
        {
            _commit.Reset(_nextSequence - 1);
            FirstSequence = _segments.Select(s => s.FirstSequence).FirstOrDefault(f => f > 0, _nextSequence);
            HistoryStart = _segments.LastOrDefault(s => s.CoversFromId < s.Id) is { } compacted ? compacted.LastSequence + 1 : 1;
            _replayed = true;
        }
        StartFlusher();
        StartCompactor();
        JournalLog.Opened(_logger, _directory, _segments.Count, FirstSequence, _nextSequence - 1, watch.ElapsedMilliseconds);
    }

    /// <summary>
    /// The records of a journal that is already open, once every appended one is durable. Replaying it as on
    /// open would open every segment a second time and start a second flusher: two writers on one file, whose
    /// zeroing ahead wiped records the other had just written (the damage a restart then refuses).
    /// </summary>
    private List<(long Sequence, StoreRecord Record)> ReadBack()
    {
        WhenDurable(LastSequence).GetAwaiter().GetResult();
        while (true)
        {
            List<Segment> segments;
            lock (_lock)
            {
                segments = [.. _segments];
            }
            var records = new List<(long Sequence, StoreRecord Record)>();
            var compacted = false;
            foreach (var segment in segments)
            {
                byte[] data;
                lock (_lock)
                {
                    if (!_segments.Contains(segment))
                    {
                        compacted = true;
                        break;
                    }
                    data = new byte[segment.FlushedOffset];
                    RandomAccess.Read(segment.Handle, data, 0);
                }
                var offset = Segment.FileHeaderSize;
                while (offset + RecordCodec.HeaderSize <= data.Length)
                {
                    var header = RecordCodec.ReadHeader(data.AsSpan(offset));
                    if (header.IsEnd)
                    {
                        break;
                    }
                    if (!RecordCodec.IsValid(data.AsSpan(offset), header))
                    {
                        throw new JournalCorruptException($"journal file {segment.Path} is damaged at offset {offset} (a record written by this process fails its checksum)");
                    }
                    records.Add((header.Sequence, RecordCodec.Decode(header, data.AsSpan(offset + RecordCodec.HeaderSize, header.Length))));
                    offset += header.TotalLength;
                }
            }
            if (!compacted)
            {
                return records;
            }
            // A compaction replaced segments while they were read: read the journal as it stands now.
        }
    }

    private void OpenSegments()
    {
        var found = new List<Segment>();
        foreach (var path in Directory.GetFiles(_directory, "segment-*"))
        {
            var name = Path.GetFileName(path);
            if (name.EndsWith(".compact", StringComparison.Ordinal))
            {
                // A compaction that did not finish: the segments it would have replaced are still in force.
                File.Delete(path);
                continue;
            }
            if (Segment.TryParseId(name, out var id))
            {
                found.Add(Segment.Open(path, id));
            }
        }
        found.Sort((a, b) => a.Id.CompareTo(b.Id));
        // A compacted segment stands for every older one it covers; those are left over from a crash.
        var coveredFrom = long.MaxValue;
        for (var i = found.Count - 1; i >= 0; i--)
        {
            if (found[i].Id >= coveredFrom)
            {
                found[i].Dispose();
                File.Delete(found[i].Path);
                found.RemoveAt(i);
                continue;
            }
            coveredFrom = Math.Min(coveredFrom, found[i].CoversFromId);
        }
        _segments.AddRange(found);
        if (_segments.Count == 0)
        {
            _segments.Add(Segment.Create(_directory, 1, _options.SegmentSize));
            Native.SyncDirectory(_directory);
        }
    }

    private List<(long Sequence, StoreRecord Record)> ReplaySegment(Segment segment, bool isLast)
    {
        var records = new List<(long, StoreRecord)>();
        var data = new byte[RandomAccess.GetLength(segment.Handle)];
        var read = RandomAccess.Read(segment.Handle, data, 0);
        var span = data.AsSpan(0, read);
        segment.DirtyTo = span.LastIndexOfAnyExcept((byte)0) + 1;
        var offset = (long)Segment.FileHeaderSize;
        while (offset + RecordCodec.HeaderSize <= span.Length)
        {
            var rest = span[(int)offset..];
            var header = RecordCodec.ReadHeader(rest);
            if (header.IsEnd && !(isLast && AnyValidRecord(span, offset + 1)))
            {
                break;
            }
            if (!RecordCodec.IsValid(rest, header))
            {
                var next = NextValidRecord(span, offset + 1);
                if (isLast && next < 0)
                {
                    JournalLog.TornTail(_logger, segment.Path, offset);
                    Zero(segment, offset, span.Length);
                    break;
                }
                if (!_options.SkipDamagedRecords || next < 0)
                {
                    throw new JournalCorruptException(
                        $"journal file {segment.Path} is damaged at offset {offset} (a record fails its checksum and valid records follow); " +
                        "restore the file, or set SkipDamagedRecords to start without the damaged records");
                }
                JournalLog.DamagedSkipped(_logger, segment.Path, offset);
                DamagedRecordsSkipped++;
                offset = next;
                continue;
            }
            var record = RecordCodec.Decode(header, rest.Slice(RecordCodec.HeaderSize, header.Length));
            var sequence = header.Sequence;
            Track(record, sequence, segment, offset, header.TotalLength);
            segment.LastRecordOffset = offset;
            records.Add((sequence, record));
            if (segment.FirstSequence == 0)
            {
                segment.FirstSequence = sequence;
            }
            segment.LastSequence = sequence + record.SequenceCount - 1;
            _nextSequence = Math.Max(_nextSequence, segment.LastSequence + 1);
            offset += header.TotalLength;
        }
        segment.WriteOffset = segment.FlushedOffset = offset;
        return records;
    }

    private static bool AnyValidRecord(ReadOnlySpan<byte> data, long from) => NextValidRecord(data, from) >= 0;

    /// <summary>The offset of the next whole, checksummed record after damage, or -1.</summary>
    private static long NextValidRecord(ReadOnlySpan<byte> data, long from)
    {
        var offset = from;
        while (offset + RecordCodec.HeaderSize <= data.Length)
        {
            // Zeros (the preallocated rest of a segment) cannot start a record: jump to the next non-zero
            // byte, then try the few offsets whose header could contain it.
            var nonZero = data[(int)offset..].IndexOfAnyExcept((byte)0);
            if (nonZero < 0)
            {
                return -1;
            }
            var found = offset + nonZero;
            for (var candidate = Math.Max(offset, found - 3); candidate <= found && candidate + RecordCodec.HeaderSize <= data.Length; candidate++)
            {
                var rest = data[(int)candidate..];
                var header = RecordCodec.ReadHeader(rest);
                if (header.Length > 0 && header.Sequence > 0 && RecordCodec.IsValid(rest, header))
                {
                    return candidate;
                }
            }
            offset = found + 1;
        }
        return -1;
    }

    /// <summary>Cuts a torn tail off: zeros from the bad record to the last non-zero byte, synced.</summary>
    private static void Zero(Segment segment, long from, int length)
    {
        var zeros = new byte[length - from];
        RandomAccess.Write(segment.Handle, zeros, from);
        Native.DataSync(segment.Handle);
    }
}
