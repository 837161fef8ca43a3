using Broker.Core.Messages;
using Broker.Core.Storage;

namespace Broker.Storage;

public sealed partial class Journal
{
    /// <summary>
    /// The first sequence number from which the journal still holds every record. Below it compaction kept
    /// only what was live, so a replica that far behind needs a snapshot (<see cref="SnapshotRequiredException"/>).
    /// </summary>
    public long HistoryStart { get; private set; } = 1;

    public Message ReadMessage(long sequence)
    {
        while (true)
        {
            Task? flushed = null;
            lock (_lock)
            {
                if (!_liveMessages.TryGetValue(sequence, out var live))
                {
                    throw new InvalidOperationException($"the journal holds no live message with sequence {sequence}");
                }
                var location = live.Location;
                if (location.Offset + location.Length <= location.Segment.FlushedOffset)
                {
                    var record = ReadAt(location);
                    return (record as MessageAddedRecord ?? (MessageAddedRecord)((TransactionRecord)record).Operations[location.Operation]).Message;
                }
                // Appended a moment ago and not on disk yet: wait for the flush that is coming.
                flushed = _commit.WhenDurable(sequence);
            }
            flushed.Wait();
        }
    }

    /// <summary>
    /// Every durable record from <paramref name="sequence"/> on. Throws <see cref="SnapshotRequiredException"/>
    /// for a number the journal no longer holds.
    /// </summary>
    public IEnumerable<(long Sequence, StoreRecord Record)> ReadFrom(long sequence)
    {
        foreach (var raw in ReadRawFrom(sequence, snapshot: false))
        {
            var header = RecordCodec.ReadHeader(raw.Bytes);
            yield return (raw.Sequence, RecordCodec.Decode(header, raw.Bytes.AsSpan(RecordCodec.HeaderSize, header.Length)));
        }
    }

    /// <summary>
    /// Durable records with their bytes as written, what replication ships: from <paramref name="sequence"/> on,
    /// or, for a <paramref name="snapshot"/>, everything the journal holds (compacted history included).
    /// </summary>
    public IEnumerable<RawRecord> ReadRawFrom(long sequence, bool snapshot)
    {
        List<Segment> segments;
        long durable;
        lock (_lock)
        {
            if (!snapshot && sequence < HistoryStart)
            {
                throw new SnapshotRequiredException($"sequence {sequence} is older than the journal's history (it starts at {HistoryStart}); a snapshot is required");
            }
            segments = [.. _segments.Where(s => snapshot || s.LastSequence >= sequence || s == _segments[^1])];
            durable = _commit.DurableSequence;
        }
        foreach (var segment in segments)
        {
            byte[] data;
            lock (_lock)
            {
                if (!_segments.Contains(segment))
                {
                    // Compacted meanwhile: the caller starts over (a snapshot) rather than read a closed file.
                    throw new SnapshotRequiredException("the journal was compacted while being read");
                }
                data = new byte[Math.Min(segment.FlushedOffset, segment.Size)];
                RandomAccess.Read(segment.Handle, data, 0);
            }
            var offset = Segment.FileHeaderSize;
            while (offset + RecordCodec.HeaderSize <= data.Length)
            {
                var header = RecordCodec.ReadHeader(data.AsSpan(offset));
                if (header.IsEnd || header.Sequence > durable || !RecordCodec.IsValid(data.AsSpan(offset), header))
                {
                    break;
                }
                if (header.Sequence >= sequence || snapshot)
                {
                    yield return new RawRecord(header.Sequence, data.AsSpan(offset, header.TotalLength).ToArray());
                }
                offset += header.TotalLength;
            }
        }
    }

    private StoreRecord ReadAt(Location location)
    {
        var bytes = new byte[location.Length];
        RandomAccess.Read(location.Segment.Handle, bytes, location.Offset);
        var header = RecordCodec.ReadHeader(bytes);
        return RecordCodec.Decode(header, bytes.AsSpan(RecordCodec.HeaderSize, header.Length));
    }
}

/// <summary>A record's sequence number and its bytes as the journal wrote them.</summary>
public readonly record struct RawRecord(long Sequence, byte[] Bytes);

/// <summary>The journal no longer holds the records asked for: the reader must start from a snapshot.</summary>
public sealed class SnapshotRequiredException(string message) : Exception(message);
