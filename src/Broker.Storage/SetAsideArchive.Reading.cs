using Broker.Core.Messages;
using Broker.Core.Storage;

namespace Broker.Storage;

/// <summary>A message of an archive that no consumer took: its record's sequence, queue and producer identity.</summary>
public sealed record SetAsideMessage(long Sequence, QueueKey Queue, Message Message, string? ProducerId, long ProducerSequence);

public sealed partial class SetAsideArchive
{
    /// <summary>Reads the whole folder once and counts what it holds.</summary>
    public SetAsideSummary Summarize()
    {
        var scan = Scan();
        var live = scan.Live.Values;
        return new SetAsideSummary(
            Id, SetAsideAt, DivergedAt, scan.Records, live.Count, live.Sum(m => (long)m.Bytes),
            live.Count == 0 ? null : DateTimeOffset.FromUnixTimeMilliseconds(live.Min(m => m.Timestamp)),
            live.Count == 0 ? null : DateTimeOffset.FromUnixTimeMilliseconds(live.Max(m => m.Timestamp)),
            [.. live.GroupBy(m => m.Destination).Select(g => new SetAsideDestination(g.Key, g.Count()))
                .OrderByDescending(d => d.Messages).ThenBy(d => d.Destination, StringComparer.Ordinal)],
            scan.Consumed, scan.Removed, scan.Damage);
    }

    /// <summary>
    /// The messages no consumer took, in the order they were written. Two passes over the files: the first finds
    /// which stayed, the second reads only those, so a large archive is never held in memory whole.
    /// </summary>
    public IEnumerable<SetAsideMessage> ReadMessages()
    {
        var live = Scan().Live;
        foreach (var (sequence, record) in ReadRecords(new ScanResult()))
        {
            switch (record)
            {
                case MessageAddedRecord added when live.ContainsKey(sequence):
                    yield return new SetAsideMessage(sequence, added.Queue, added.Message, added.ProducerId, added.ProducerSequence);
                    break;
                case TransactionRecord transaction:
                    for (var i = 0; i < transaction.Operations.Count; i++)
                    {
                        if (transaction.Operations[i] is MessageAddedRecord inside && live.ContainsKey(sequence + i))
                        {
                            yield return new SetAsideMessage(sequence + i, inside.Queue, inside.Message, inside.ProducerId, inside.ProducerSequence);
                        }
                    }
                    break;
            }
        }
    }

    /// <summary>Folds the records from <see cref="DivergedAt"/> on: which added messages are still there at the end.</summary>
    private ScanResult Scan()
    {
        var result = new ScanResult();
        foreach (var (sequence, record) in ReadRecords(result))
        {
            var count = record.SequenceCount;
            if (sequence + count - 1 >= DivergedAt)
            {
                result.Records += Math.Min(count, sequence + count - DivergedAt);
            }
            Fold(result, sequence, record);
        }
        return result;
    }

    private void Fold(ScanResult result, long sequence, StoreRecord record)
    {
        switch (record)
        {
            case MessageAddedRecord added when sequence >= DivergedAt:
                var message = added.Message;
                result.Live[sequence] = new LiveEntry(added.Queue, Label(added.Queue, message), message.Timestamp, message.Body.Length);
                break;
            case MessageRemovedRecord removed when result.Live.Remove(removed.MessageSequence):
                if (removed.Reason == RemovalReason.Acknowledged)
                {
                    result.Consumed++;
                }
                else
                {
                    result.Removed++;
                }
                break;
            case DestinationDeletedRecord deleted:
                result.Removed += Drop(result, key => deleted.Destination.IsQueue
                    ? !key.IsDurableSubscription && key.Queue == deleted.Destination.Name
                    : key.Topic == deleted.Destination.Name);
                break;
            case DurableSubscriptionRemovedRecord removed:
                result.Removed += Drop(result, key => key.Queue == removed.Subscription.Queue);
                break;
            case TransactionRecord transaction:
                for (var i = 0; i < transaction.Operations.Count; i++)
                {
                    Fold(result, sequence + i, transaction.Operations[i]);
                }
                break;
        }
    }

    private static int Drop(ScanResult result, Func<QueueKey, bool> owned)
    {
        var gone = result.Live.Where(e => owned(e.Value.Queue)).Select(e => e.Key).ToList();
        foreach (var sequence in gone)
        {
            result.Live.Remove(sequence);
        }
        return gone.Count;
    }

    private static string Label(QueueKey queue, Message message) =>
        queue.IsDurableSubscription ? $"/topic/{queue.Topic} (durable {queue.ClientId}:{queue.Subscription})" : message.Destination.ToString();

    /// <summary>
    /// Every record of the folder's segments in order. A compacted segment stands for the older ones it covers (as at
    /// recovery). Reading stops at the first record that fails its checksum, noted in <see cref="ScanResult.Damage"/>:
    /// the journal moved here only what was durable, so that is damage, not a torn write.
    /// </summary>
    private IEnumerable<(long Sequence, StoreRecord Record)> ReadRecords(ScanResult result)
    {
        var segments = new List<(long Id, long CoversFrom, string Path)>();
        foreach (var path in Directory.EnumerateFiles(Path, "segment-*.log"))
        {
            if (Segment.TryParseId(System.IO.Path.GetFileName(path), out var id) && ReadFileHeader(path) is { } coversFrom)
            {
                segments.Add((id, coversFrom, path));
            }
        }
        segments.Sort((a, b) => a.Id.CompareTo(b.Id));
        var coveredFrom = long.MaxValue;
        for (var i = segments.Count - 1; i >= 0; i--)
        {
            if (segments[i].Id >= coveredFrom)
            {
                segments.RemoveAt(i);
                continue;
            }
            coveredFrom = Math.Min(coveredFrom, segments[i].CoversFrom);
        }
        foreach (var segment in segments)
        {
            using var stream = new FileStream(segment.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16, FileOptions.SequentialScan);
            stream.Position = Segment.FileHeaderSize;
            var buffer = new byte[64 * 1024];
            while (true)
            {
                var offset = stream.Position;
                if (stream.ReadAtLeast(buffer.AsSpan(0, RecordCodec.HeaderSize), RecordCodec.HeaderSize, throwOnEndOfStream: false) < RecordCodec.HeaderSize)
                {
                    break;
                }
                var header = RecordCodec.ReadHeader(buffer);
                if (header.IsEnd)
                {
                    break;
                }
                if (header.Length < 0 || header.TotalLength > stream.Length - offset)
                {
                    result.Damage = $"{System.IO.Path.GetFileName(segment.Path)} is damaged at offset {offset}; later records were not read";
                    yield break;
                }
                if (buffer.Length < header.TotalLength)
                {
                    Array.Resize(ref buffer, header.TotalLength);
                }
                stream.ReadExactly(buffer, RecordCodec.HeaderSize, header.Length);
                var bytes = buffer.AsSpan(0, header.TotalLength);
                if (!RecordCodec.IsValid(bytes, header))
                {
                    result.Damage = $"{System.IO.Path.GetFileName(segment.Path)} is damaged at offset {offset}; later records were not read";
                    yield break;
                }
                yield return (header.Sequence, RecordCodec.Decode(header, bytes[RecordCodec.HeaderSize..]));
            }
        }
    }

    /// <summary>The first segment id a segment file stands for (itself, or the oldest it compacted), or null when it is not a segment.</summary>
    private static long? ReadFileHeader(string path)
    {
        var header = new byte[Segment.FileHeaderSize];
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        return stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) == header.Length && header.AsSpan(0, 8).SequenceEqual(Segment.Magic)
            ? BitConverter.ToInt64(header, 16)
            : null;
    }

    private sealed record LiveEntry(QueueKey Queue, string Destination, long Timestamp, int Bytes);

    private sealed class ScanResult
    {
        public Dictionary<long, LiveEntry> Live { get; } = [];

        public long Records { get; set; }

        public int Consumed { get; set; }

        public int Removed { get; set; }

        public string? Damage { get; set; }
    }
}
