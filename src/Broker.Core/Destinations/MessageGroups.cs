using Broker.Core.Consumers;

namespace Broker.Core.Destinations;

/// <summary>
/// Which consumer owns each message group of one queue (ActiveMQ's message groups): the first message of a group
/// picks a consumer as any message would, and the group's later messages go to that consumer until it leaves or a
/// message with <c>JMSXGroupSeq: -1</c> closes the group. Guarded by the queue's lock.
/// </summary>
internal sealed class MessageGroups
{
    public const string GroupIdHeader = "JMSXGroupID";
    public const string GroupSequenceHeader = "JMSXGroupSeq";

    /// <summary>
    /// Set on the first message of a group a consumer receives. ActiveMQ sets it for JMS consumers only (its STOMP
    /// consumers never see it); STOMP consumers here get it too, so they can reset what they keep per group.
    /// </summary>
    public const string FirstForConsumerHeader = "JMSXGroupFirstForConsumer";

    private readonly Dictionary<string, Consumer> _owners = new(StringComparer.Ordinal);

    public int Count => _owners.Count;

    public Consumer? OwnerOf(string groupId) => _owners.GetValueOrDefault(groupId);

    public void Assign(string groupId, Consumer consumer) => _owners[groupId] = consumer;

    public void Close(string groupId) => _owners.Remove(groupId);

    /// <summary>The consumer left: its groups go to whoever takes their next message.</summary>
    public void Release(Consumer consumer)
    {
        if (_owners.Count == 0)
        {
            return;
        }
        foreach (var (groupId, owner) in _owners.ToList())
        {
            if (owner == consumer)
            {
                _owners.Remove(groupId);
            }
        }
    }
}
