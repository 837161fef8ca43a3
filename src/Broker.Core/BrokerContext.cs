using Broker.Core.Messages;

namespace Broker.Core;

/// <summary>The broker-wide services a destination needs, without handing it the whole broker.</summary>
internal sealed class BrokerContext(BrokerOptions options, TimeProvider clock, Action<string, Message, string> deadLetter)
{
    public const string DeadLetterPrefix = "DLQ.";

    public BrokerOptions Options { get; } = options;

    public TimeProvider Clock { get; } = clock;

    public MemoryAccount Memory { get; } = new(options.MemoryLimit);

    /// <summary>Moves a message that could not be consumed from <paramref name="queue"/> to <c>DLQ.&lt;queue&gt;</c>.</summary>
    public void DeadLetter(string queue, Message message, string reason) => deadLetter(queue, message, reason);
}
