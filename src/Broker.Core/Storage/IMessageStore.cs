namespace Broker.Core.Storage;

/// <summary>
/// Where a broker keeps what must survive it. Declared here, implemented by Broker.Storage (the journal) and
/// wrapped by replication, so the core builds and runs without either.
/// </summary>
public interface IMessageStore : IAsyncDisposable
{
    /// <summary>
    /// Appends a record and returns its first sequence number at once (in order with every other append)
    /// plus a task that completes when the record is durable. Throws <see cref="StoreFullException"/>
    /// before changing anything when the store cannot take it.
    /// </summary>
    StoreTicket Append(StoreRecord record);

    /// <summary>
    /// Completes when every record up to <paramref name="sequence"/> is durable; a record that rides the next
    /// commit (<see cref="StoreRecord.RidesNextCommit"/>) is flushed now instead of waiting for one.
    /// </summary>
    Task WhenDurable(long sequence);

    /// <summary>Reads back the message of a <see cref="MessageAddedRecord"/> (for a body paged out of memory).</summary>
    Messages.Message ReadMessage(long sequence);

    /// <summary>Bytes on disk, against <see cref="Limit"/> (0 = none).</summary>
    long UsedBytes { get; }

    long Limit { get; }

    long LastSequence { get; }
}

/// <summary>An appended record's sequence number and the moment it is durable.</summary>
public readonly record struct StoreTicket(long Sequence, Task Durable)
{
    public static StoreTicket None { get; } = new(0, Task.CompletedTask);
}

/// <summary>The store cannot take more (its limit, or a full disk); the request changed nothing.</summary>
public sealed class StoreFullException(string message) : BrokerException(message);
