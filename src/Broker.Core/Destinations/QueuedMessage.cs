using Broker.Core.Messages;

namespace Broker.Core.Destinations;

/// <summary>A message's life in one queue: its place (<see cref="Sequence"/>) and how often it went out.</summary>
internal sealed class QueuedMessage(Message message, long sequence)
{
    public Message Message { get; } = message;

    /// <summary>Enqueue order. A message returned to the queue keeps it, and so keeps its place.</summary>
    public long Sequence { get; } = sequence;

    public long Size { get; } = message.Size;

    public int DeliveryCount { get; set; }

    /// <summary>Higher priority first, then enqueue order.</summary>
    public static IComparer<QueuedMessage> DispatchOrder { get; } = Comparer<QueuedMessage>.Create(static (a, b) =>
    {
        var byPriority = b.Message.Priority.CompareTo(a.Message.Priority);
        return byPriority != 0 ? byPriority : a.Sequence.CompareTo(b.Sequence);
    });
}
