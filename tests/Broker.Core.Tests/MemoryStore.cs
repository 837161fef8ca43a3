using Broker.Core.Messages;
using Broker.Core.Storage;

namespace Broker.Core.Tests;

/// <summary>
/// The store seam kept in memory: every record in order with its sequence numbers, durable at once. What a
/// restart or a slave would build from it is <see cref="Fold"/>, the same <see cref="RecoveryState"/> they use.
/// </summary>
internal sealed class MemoryStore : IMessageStore
{
    private readonly Lock _lock = new();
    private readonly List<(long Sequence, StoreRecord Record)> _records = [];
    private long _next = 1;

    public long UsedBytes => 0;

    public long Limit => 0;

    public long LastSequence
    {
        get { lock (_lock) { return _next - 1; } }
    }

    public IReadOnlyList<(long Sequence, StoreRecord Record)> Records
    {
        get { lock (_lock) { return [.. _records]; } }
    }

    public StoreTicket Append(StoreRecord record)
    {
        lock (_lock)
        {
            var sequence = _next;
            _next += record.SequenceCount;
            _records.Add((sequence, record));
            return new StoreTicket(sequence, Task.CompletedTask);
        }
    }

    public Task WhenDurable(long sequence) => Task.CompletedTask;

    public Message ReadMessage(long sequence)
    {
        lock (_lock)
        {
            foreach (var (first, record) in _records)
            {
                switch (record)
                {
                    case MessageAddedRecord added when first == sequence:
                        return added.Message;
                    case TransactionRecord transaction when sequence >= first && sequence < first + transaction.SequenceCount:
                        return ((MessageAddedRecord)transaction.Operations[(int)(sequence - first)]).Message;
                }
            }
        }
        throw new InvalidOperationException($"no message at sequence {sequence}");
    }

    /// <summary>The state a restart, or a slave fed these records, would hold.</summary>
    public RecoveryState Fold(long memoryLimit = long.MaxValue)
    {
        var state = new RecoveryState(memoryLimit);
        foreach (var (sequence, record) in Records)
        {
            state.Apply(sequence, record);
        }
        return state;
    }

    public ValueTask DisposeAsync() => default;
}
