using System.Buffers.Binary;
using System.Text;
using Broker.Core.Messages;
using Broker.Core.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace Broker.Storage.Tests;

/// <summary>A temp data directory per test, plus helpers to open journals in it and to look inside its files.</summary>
public abstract class JournalTestBase : IDisposable
{
    protected JournalTestBase()
    {
        Dir = Directory.CreateTempSubdirectory("journal-tests-").FullName;
    }

    protected string Dir { get; }

    /// <summary>Small segments; a small removal reserve so a 64 KiB segment holds many sends.</summary>
    protected static JournalOptions Small(long segmentSize = 64 * 1024) => new()
    {
        SegmentSize = segmentSize,
        RemovalReserve = 4 * 1024,
    };

    protected Journal Open(JournalOptions? options = null) =>
        Journal.Open(Dir, "b1", options ?? Small(1024 * 1024), NullLogger.Instance);

    protected (Journal Journal, List<(long Sequence, StoreRecord Record)> Records) OpenReplay(JournalOptions? options = null)
    {
        var journal = Open(options);
        try
        {
            return (journal, journal.Replay().ToList());
        }
        catch
        {
            journal.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
    }

    protected async Task<List<(long Sequence, StoreRecord Record)>> ReopenAndReplay(JournalOptions? options = null)
    {
        var (journal, records) = OpenReplay(options);
        await journal.DisposeAsync();
        return records;
    }

    protected string[] SegmentFiles() =>
        [.. Directory.GetFiles(Dir, "segment-*.log").Order(StringComparer.Ordinal)];

    protected long SegmentBytesOnDisk() => SegmentFiles().Sum(f => new FileInfo(f).Length);

    /// <summary>The records of a segment file as written: offset, total length (header included) and sequence.</summary>
    protected static List<(long Offset, int Length, long Sequence)> RecordsIn(string path)
    {
        var data = File.ReadAllBytes(path);
        var result = new List<(long, int, long)>();
        var offset = 32;
        while (offset + RecordCodec.HeaderSize <= data.Length)
        {
            var header = RecordCodec.ReadHeader(data.AsSpan(offset));
            if (header.IsEnd)
            {
                break;
            }
            result.Add((offset, header.TotalLength, header.Sequence));
            offset += header.TotalLength;
        }
        return result;
    }

    protected static long EpochOfRecordAt(string path, long offset)
    {
        using var stream = File.OpenRead(path);
        var header = new byte[RecordCodec.HeaderSize];
        stream.Position = offset;
        stream.ReadExactly(header);
        return BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(12));
    }

    protected static void Overwrite(string path, long offset, byte[] bytes)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Write);
        stream.Position = offset;
        stream.Write(bytes);
        stream.Flush(flushToDisk: true);
    }

    protected static void FlipByte(string path, long offset)
    {
        var data = File.ReadAllBytes(path);
        Overwrite(path, offset, [(byte)(data[offset] ^ 0x5A)]);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
            // A journal a failed test did not dispose; the temp directory is left behind.
        }
        GC.SuppressFinalize(this);
    }

    protected static Message Msg(string id, string body = "body", string queue = "q", string? producerId = null) => new()
    {
        MessageId = id,
        Destination = DestinationName.Queue(queue),
        Body = Encoding.UTF8.GetBytes(body),
        Persistent = true,
        Timestamp = 1_700_000_000_000,
        Headers = producerId is null ? [] : [new("producer-id", producerId)],
    };

    protected static MessageAddedRecord Add(string id, string body = "body", string queue = "q", string? producerId = null, long producerSequence = 0) =>
        new(QueueKey.ForQueue(queue), Msg(id, body, queue), producerId, producerSequence);

    protected static MessageRemovedRecord Remove(long sequence, string queue = "q") =>
        new(QueueKey.ForQueue(queue), sequence, RemovalReason.Acknowledged);

    protected static string Body(Message message) => Encoding.UTF8.GetString(message.Body.Span);

    /// <summary>Every field of a record, for comparing records whose messages hold lists and memory.</summary>
    protected static string Describe(StoreRecord record) => record switch
    {
        MessageAddedRecord r => $"Add({r.Queue.Queue}|{r.Queue.Topic}|{r.Queue.ClientId}|{r.Queue.Subscription}, {Describe(r.Message)}, {r.ProducerId}, {r.ProducerSequence})",
        TransactionRecord r => $"Tx[{string.Join("; ", r.Operations.Select(Describe))}]",
        MessageRemovedRecord r => $"Remove({r.Queue.Queue}|{r.Queue.Topic}|{r.Queue.ClientId}|{r.Queue.Subscription}, {r.MessageSequence}, {r.Reason})",
        MessageDeliveredRecord r => $"Delivered({r.Queue.Queue}|{r.Queue.Topic}|{r.Queue.ClientId}|{r.Queue.Subscription}, {r.MessageSequence}, {r.DeliveryCount})",
        DurableSubscriptionCreatedRecord r => $"SubCreated({r.Subscription.Queue}|{r.Subscription.Topic}|{r.Subscription.ClientId}|{r.Subscription.Subscription}, {r.Selector})",
        DurableSubscriptionRemovedRecord r => $"SubRemoved({r.Subscription.Queue}|{r.Subscription.Topic}|{r.Subscription.ClientId}|{r.Subscription.Subscription})",
        _ => record.ToString(),
    };

    protected static string Describe(Message m) =>
        $"{m.MessageId} {m.Destination} p{m.Priority} {(m.Persistent ? "persistent" : "transient")} t{m.Timestamp} e{m.Expires} " +
        $"[{string.Join(",", m.Headers.Select(h => h.Key + "=" + h.Value))}] {Convert.ToHexString(m.Body.Span)}";
}

/// <summary>What a sequence of records leaves live: the state recovery must rebuild.</summary>
public sealed class LiveState
{
    public SortedDictionary<long, string> Messages { get; } = [];

    public SortedSet<string> Destinations { get; } = new(StringComparer.Ordinal);

    public SortedSet<string> Subscriptions { get; } = new(StringComparer.Ordinal);

    public SortedDictionary<long, int> DeliveryCounts { get; } = [];

    public SortedDictionary<string, long> ProducerMarks { get; } = new(StringComparer.Ordinal);

    public static LiveState Of(IEnumerable<(long Sequence, StoreRecord Record)> records)
    {
        var state = new LiveState();
        foreach (var (sequence, record) in records)
        {
            state.Apply(sequence, record);
        }
        return state;
    }

    public void Apply(long sequence, StoreRecord record)
    {
        switch (record)
        {
            case DestinationCreatedRecord r: Destinations.Add(r.Destination.ToString()); break;
            case DestinationDeletedRecord r: Destinations.Remove(r.Destination.ToString()); break;
            case DurableSubscriptionCreatedRecord r: Subscriptions.Add(r.Subscription.Queue); break;
            case DurableSubscriptionRemovedRecord r: Subscriptions.Remove(r.Subscription.Queue); break;
            case MessageAddedRecord r:
                Messages[sequence] = r.Queue.Queue + " " + r.Message.MessageId + " " + Encoding.UTF8.GetString(r.Message.Body.Span);
                if (r.ProducerId is not null)
                {
                    Mark(r.ProducerId, r.ProducerSequence);
                }
                break;
            case MessageRemovedRecord r:
                Messages.Remove(r.MessageSequence);
                DeliveryCounts.Remove(r.MessageSequence);
                break;
            case MessageDeliveredRecord r:
                if (Messages.ContainsKey(r.MessageSequence))
                {
                    DeliveryCounts[r.MessageSequence] = r.DeliveryCount;
                }
                break;
            case ProducerMarkRecord r: Mark(r.ProducerId, r.ProducerSequence); break;
            case TransactionRecord r:
                for (var i = 0; i < r.Operations.Count; i++)
                {
                    Apply(sequence + i, r.Operations[i]);
                }
                break;
        }
    }

    private void Mark(string producerId, long producerSequence) =>
        ProducerMarks[producerId] = Math.Max(producerSequence, ProducerMarks.GetValueOrDefault(producerId));

    public void AssertEqual(LiveState actual)
    {
        Assert.Equal(Messages, actual.Messages);
        Assert.Equal(Destinations, actual.Destinations);
        Assert.Equal(Subscriptions, actual.Subscriptions);
        Assert.Equal(DeliveryCounts, actual.DeliveryCounts);
        Assert.Equal(ProducerMarks, actual.ProducerMarks);
    }
}

/// <summary>Keeps what the journal logs, to check a recovery said what it did.</summary>
public sealed class ListLogger : Microsoft.Extensions.Logging.ILogger
{
    private readonly Lock _lock = new();
    private readonly List<(int EventId, string Message)> _entries = [];

    public IReadOnlyList<(int EventId, string Message)> Entries
    {
        get { lock (_lock) { return [.. _entries]; } }
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

    public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_lock)
        {
            _entries.Add((eventId.Id, formatter(state, exception)));
        }
    }
}
