using Broker.Core.Messages;
using Broker.Core.Storage;

namespace Broker.Core.Tests;

/// <summary>An in-memory store that refuses appends, or holds the next message's durability until told, when told to.</summary>
internal sealed class ScriptedStore : IMessageStore
{
    private readonly Dictionary<long, Message> _messages = [];

    public string? Refusal { get; set; }

    public Task? NextDurable { get; set; }

    public int Appended { get; private set; }

    public long UsedBytes => 0;

    public long Limit => 0;

    public long LastSequence { get; private set; }

    public StoreTicket Append(StoreRecord record)
    {
        if (Refusal is { } refusal && record is not MessageDeliveredRecord)
        {
            throw new StoreFullException(refusal);
        }
        Appended += record is MessageAddedRecord ? 1 : 0;
        var first = LastSequence + 1;
        LastSequence += record.SequenceCount;
        if (record is MessageAddedRecord added)
        {
            _messages[first] = added.Message;
        }
        // A transaction's record holds its messages: it waits the same way.
        var addsMessages = record is MessageAddedRecord or TransactionRecord;
        var durable = addsMessages && NextDurable is { } next ? next : Task.CompletedTask;
        NextDurable = addsMessages ? null : NextDurable;
        return new StoreTicket(first, durable);
    }

    public Task WhenDurable(long sequence) => Task.CompletedTask;

    public Message ReadMessage(long sequence) => _messages[sequence];

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
