using Broker.Core.Messages;

namespace Broker.Core.Destinations;

/// <summary>A message's life in one queue: its place, its journal record, and how often it went out.</summary>
internal sealed class QueuedMessage
{
    public QueuedMessage(Message message, long sequence, long storeSequence, bool paged)
    {
        Sequence = sequence;
        StoreSequence = storeSequence;
        // A paged message keeps its headers in memory and leaves its body in the journal until dispatch.
        Message = paged ? message with { Body = ReadOnlyMemory<byte>.Empty } : message;
        IsPaged = paged;
        Size = Message.Size;
    }

    public Message Message { get; }

    /// <summary>Enqueue order. A message returned to the queue keeps it, and so keeps its place.</summary>
    public long Sequence { get; }

    /// <summary>The sequence of its <c>MessageAddedRecord</c>; 0 for a message that is not journaled.</summary>
    public long StoreSequence { get; }

    public bool IsStored => StoreSequence > 0;

    /// <summary>The body is in the journal only; it is read back for each delivery.</summary>
    public bool IsPaged { get; }

    /// <summary>What it costs in memory (headers only, when paged).</summary>
    public long Size { get; }

    public int DeliveryCount { get; set; }

    /// <summary>Higher priority first, then enqueue order.</summary>
    public static IComparer<QueuedMessage> DispatchOrder { get; } = Comparer<QueuedMessage>.Create(static (a, b) =>
    {
        var byPriority = b.Message.Priority.CompareTo(a.Message.Priority);
        return byPriority != 0 ? byPriority : a.Sequence.CompareTo(b.Sequence);
    });
}
