using Broker.Core.Messages;
using Broker.Core.Storage;

namespace Broker.Core;

/// <summary>The broker-wide services a destination needs, without handing it the whole broker.</summary>
internal sealed class BrokerContext(BrokerOptions options, TimeProvider clock, IMessageStore? store, Action<string, Message, string> deadLetter)
{
    public const string DeadLetterPrefix = "DLQ.";

    public BrokerOptions Options { get; } = options;

    public TimeProvider Clock { get; } = clock;

    public MemoryAccount Memory { get; } = new(options.MemoryLimit);

    /// <summary>Where persistent messages are journaled; null for a memory-only broker.</summary>
    public IMessageStore? Store { get; set; } = store;

    /// <summary>Set while a planned switchover fixes the store's last record: nothing is dispatched or expired.</summary>
    public volatile bool Quiesced;

    public long NowMs => Clock.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Moves a message that could not be consumed from <paramref name="queue"/> to <c>DLQ.&lt;queue&gt;</c>.</summary>
    public void DeadLetter(string queue, Message message, string reason) => deadLetter(queue, message, reason);

    /// <summary>Journals a record when there is a store; the task completes when it is durable.</summary>
    public StoreTicket Append(StoreRecord record) => Store?.Append(record) ?? StoreTicket.None;
}
