using Broker.Core.Messages;
using Broker.Core.Storage;

namespace Broker.Core.Destinations;

/// <summary>
/// A message's life in one queue: its place, its journal record, and how often it went out. Past the memory
/// limit a journaled message is paged: only what dispatch needs (priority, expiry, place) stays in memory,
/// and the message itself is read back from the journal when it is delivered or browsed.
/// </summary>
internal sealed class QueuedMessage
{
    private readonly Message? _message;

    public QueuedMessage(Message message, long sequence, long storeSequence, bool paged)
    {
        Sequence = sequence;
        StoreSequence = storeSequence;
        Priority = message.Priority;
        Expires = message.Expires;
        GroupId = message.Header(MessageGroups.GroupIdHeader);
        ClosesGroup = GroupId is not null && message.Header(MessageGroups.GroupSequenceHeader) == "-1";
        _message = paged ? null : message;
        Size = paged ? PagedSize : message.Size;
    }

    /// <summary>What a paged message costs in memory, counted against the limit all the same.</summary>
    public const long PagedSize = 200;

    /// <summary>Enqueue order. A message returned to the queue keeps it, and so keeps its place.</summary>
    public long Sequence { get; }

    /// <summary>The sequence of its <c>MessageAddedRecord</c>; 0 for a message that is not journaled.</summary>
    public long StoreSequence { get; }

    public byte Priority { get; }

    /// <summary>Unix milliseconds after which it must not be delivered; 0 = never.</summary>
    public long Expires { get; }

    /// <summary>ActiveMQ's <c>JMSXGroupID</c>: every message of a group goes to the same consumer while it stays.</summary>
    public string? GroupId { get; }

    /// <summary><c>JMSXGroupSeq: -1</c> ends the group: its next message may go to any consumer.</summary>
    public bool ClosesGroup { get; }

    public bool IsStored => StoreSequence > 0;

    public bool IsPaged => _message is null;

    /// <summary>What it costs in memory.</summary>
    public long Size { get; }

    public int DeliveryCount { get; set; }

    public bool IsExpired(long nowMs) => Expires > 0 && nowMs >= Expires;

    /// <summary>The message, from memory or, when paged, from the journal.</summary>
    public Message Load(IMessageStore? store) => _message ?? store!.ReadMessage(StoreSequence);

    /// <summary>Higher priority first, then enqueue order.</summary>
    public static IComparer<QueuedMessage> DispatchOrder { get; } = Comparer<QueuedMessage>.Create(static (a, b) =>
    {
        var byPriority = b.Priority.CompareTo(a.Priority);
        return byPriority != 0 ? byPriority : a.Sequence.CompareTo(b.Sequence);
    });
}
