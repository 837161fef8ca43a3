using System.Collections.Concurrent;
using Broker.Core.Consumers;
using Broker.Core.Destinations;
using Broker.Core.Messages;

namespace Broker.Core;

/// <summary>
/// Where a message sent to one destination also goes, ActiveMQ's way: to the topics named by a wildcard that match
/// it (a wildcard topic subscription is a subscription on a topic destination named by its pattern), and, for a
/// topic <c>VirtualTopic.X</c>, to every queue <c>Consumer.&lt;name&gt;.VirtualTopic.X</c> that exists. The indexes
/// are kept as destinations come and go, so a send to a plain destination pays one array read and one prefix test.
/// </summary>
public sealed partial class MessageBroker
{
    internal const string VirtualTopicPrefix = "VirtualTopic.";
    internal const string VirtualConsumerPrefix = "Consumer.";

    /// <summary>Guards the writers of the indexes below; senders read them without it (copy-on-write arrays).</summary>
    private readonly Lock _routingLock = new();

    /// <summary>The topic destinations named by a wildcard.</summary>
    private TopicDestination[] _wildcardTopics = [];

    /// <summary>Queue wildcard subscriptions, each given a consumer on every matching queue created from now on.</summary>
    private ConsumerSet[] _queueWatchers = [];

    /// <summary>A virtual topic's name to the consumer queues that exist for it.</summary>
    private readonly ConcurrentDictionary<string, DestinationName[]> _virtualConsumers = new(StringComparer.Ordinal);

    /// <summary>How many wildcard topics and virtual topics the indexes hold (tests: removal leaves nothing behind).</summary>
    internal (int WildcardTopics, int VirtualTopics) RouteIndexSizes => (Volatile.Read(ref _wildcardTopics).Length, _virtualConsumers.Count);

    /// <summary>
    /// Subscribes one subscriber to several destinations at once: a composite (<c>/queue/a,/topic/b</c>), a queue
    /// wildcard (a consumer on every matching queue, existing or created later), or both. Each delivery carries a tag
    /// of the set's own; <see cref="ConsumerSet.Resolve"/> turns it back into the consumer and tag to acknowledge.
    /// A topic wildcard alone needs no set: <see cref="Subscribe"/> takes it.
    /// </summary>
    public ConsumerSet SubscribeAll(IReadOnlyList<DestinationName> destinations, IDeliverySink sink, SubscriptionOptions options)
    {
        EnsureStarted();
        if (options.DurableName is not null && destinations.Count > 1)
        {
            throw new BrokerException("a durable subscription names one topic, not a composite destination");
        }
        var set = new ConsumerSet(this, sink, options);
        try
        {
            foreach (var destination in destinations)
            {
                if (destination.IsQueue && destination.IsWildcard)
                {
                    WatchQueues(set, DestinationPattern.Of(destination) ?? throw new BrokerException($"'{destination}' is not a valid wildcard"));
                }
                else
                {
                    set.Add(destination, reachedByPattern: false);
                }
            }
        }
        catch
        {
            set.Close();
            throw;
        }
        return set;
    }

    /// <summary>Subscribes a set's member to one destination, created if need be (the set's sink is wrapped here).</summary>
    internal Consumer SubscribeMember(DestinationName destination, ConsumerSet set, SubscriptionOptions options, bool existingOnly)
    {
        Destination target;
        if (existingOnly)
        {
            if (!_destinations.TryGetValue(destination, out var found) || !found.TryEnter())
            {
                throw new BrokerException($"{destination} was removed");
            }
            target = found;
        }
        else
        {
            target = Enter(destination);
        }
        try
        {
            return target.Subscribe(new CountingSink(set, Counters), options);
        }
        finally
        {
            target.Exit();
        }
    }

    internal void StopWatching(ConsumerSet set)
    {
        lock (_routingLock)
        {
            _queueWatchers = [.. _queueWatchers.Where(w => w != set)];
        }
    }

    private void WatchQueues(ConsumerSet set, DestinationPattern pattern)
    {
        set.Watch(pattern);
        // Registered first, then the existing queues: a queue created meanwhile is found by one or both, and the set
        // takes it once.
        lock (_routingLock)
        {
            if (!_queueWatchers.Contains(set))
            {
                _queueWatchers = [.. _queueWatchers, set];
            }
        }
        foreach (var (name, destination) in _destinations)
        {
            if (destination is QueueDestination && pattern.Matches(name))
            {
                set.Add(name, reachedByPattern: true);
            }
        }
    }

    /// <summary>Indexes a destination just created (by a client, the console or recovery).</summary>
    private void Added(Destination destination)
    {
        var name = destination.Name;
        if (!name.IsQueue)
        {
            if (destination is TopicDestination { Pattern: not null } wildcard)
            {
                lock (_routingLock)
                {
                    if (!_wildcardTopics.Contains(wildcard))
                    {
                        _wildcardTopics = [.. _wildcardTopics, wildcard];
                    }
                }
            }
            return;
        }
        if (VirtualTopicOf(name.Name) is { } topic)
        {
            lock (_routingLock)
            {
                var queues = _virtualConsumers.GetValueOrDefault(topic, []);
                if (!queues.Contains(name))
                {
                    _virtualConsumers[topic] = [.. queues, name];
                }
            }
        }
        foreach (var watcher in Volatile.Read(ref _queueWatchers))
        {
            if (watcher.Watches(name))
            {
                watcher.Add(name, reachedByPattern: true);
            }
        }
    }

    /// <summary>Takes a destination that left the broker out of the indexes.</summary>
    private void Removed(Destination destination)
    {
        var name = destination.Name;
        lock (_routingLock)
        {
            if (destination is TopicDestination { Pattern: not null } wildcard)
            {
                _wildcardTopics = [.. _wildcardTopics.Where(t => t != wildcard)];
            }
            else if (name.IsQueue && VirtualTopicOf(name.Name) is { } topic && _virtualConsumers.TryGetValue(topic, out var queues))
            {
                var left = queues.Where(q => q != name).ToArray();
                if (left.Length == 0)
                {
                    _virtualConsumers.TryRemove(topic, out _);
                }
                else
                {
                    _virtualConsumers[topic] = left;
                }
            }
        }
    }

    /// <summary>The virtual topic a queue consumes for (<c>Consumer.A.VirtualTopic.Orders</c>: <c>VirtualTopic.Orders</c>), or null.</summary>
    internal static string? VirtualTopicOf(string queue)
    {
        if (!queue.StartsWith(VirtualConsumerPrefix, StringComparison.Ordinal))
        {
            return null;
        }
        var dot = queue.IndexOf('.', VirtualConsumerPrefix.Length);
        if (dot <= VirtualConsumerPrefix.Length)
        {
            return null;
        }
        var topic = queue[(dot + 1)..];
        return topic.StartsWith(VirtualTopicPrefix, StringComparison.Ordinal) && topic.Length > VirtualTopicPrefix.Length ? topic : null;
    }

    /// <summary>
    /// Sends to one destination (created if need be) and wherever it routes to; the task completes when every copy is
    /// durable. Only <paramref name="message"/>'s destination is created: wildcard topics and virtual consumer queues
    /// are reached only while they exist.
    /// </summary>
    private Task SendRouted(Message message, string? producerId, long producerSequence)
    {
        if (message.Destination.IsWildcard)
        {
            throw new BrokerException($"{message.Destination} is a wildcard: a message is sent to a destination, a wildcard only subscribes");
        }
        var destination = Enter(message.Destination);
        Task durable;
        try
        {
            durable = destination.Send(message, producerId, producerSequence);
        }
        finally
        {
            destination.Exit();
        }
        return message.Destination.IsQueue ? durable : Later(durable, SendToRoutes(message, producerId, producerSequence));
    }

    /// <summary>The wildcard topics and virtual consumer queues a message sent to a topic also reaches.</summary>
    private Task SendToRoutes(Message message, string? producerId, long producerSequence)
    {
        var durable = Task.CompletedTask;
        foreach (var (target, copy) in Routes(message))
        {
            // Held for the send; one being removed this instant (nothing subscribed to it) is passed over.
            if (!target.TryEnter())
            {
                continue;
            }
            try
            {
                durable = Later(durable, target.Send(copy, producerId, producerSequence));
            }
            finally
            {
                target.Exit();
            }
        }
        return durable;
    }

    /// <summary>
    /// The destinations beyond its own that a message sent to a topic reaches, each with the message as it lands
    /// there: unchanged in a wildcard topic (its subscribers see the topic it was sent to), addressed to the queue in a
    /// virtual topic's consumer queue, with <c>original-destination</c> naming the topic (as ActiveMQ does).
    /// </summary>
    internal IEnumerable<(Destination Target, Message Message)> Routes(Message message) =>
        message.Destination.IsQueue
        || (Volatile.Read(ref _wildcardTopics).Length == 0 && !message.Destination.Name.StartsWith(VirtualTopicPrefix, StringComparison.Ordinal))
            ? []
            : RoutesOf(message);

    private IEnumerable<(Destination Target, Message Message)> RoutesOf(Message message)
    {
        var name = message.Destination;
        foreach (var wildcard in Volatile.Read(ref _wildcardTopics))
        {
            if (wildcard.Pattern!.Matches(name.Name))
            {
                yield return (wildcard, message);
            }
        }
        if (name.Name.StartsWith(VirtualTopicPrefix, StringComparison.Ordinal) && _virtualConsumers.TryGetValue(name.Name, out var queues))
        {
            foreach (var queue in queues)
            {
                if (_destinations.TryGetValue(queue, out var target))
                {
                    yield return (target, message with
                    {
                        Destination = queue,
                        Headers = [.. message.Headers, new("original-destination", name.ToString())],
                    });
                }
            }
        }
    }

    /// <summary>The journal completes records in order: of two tasks, the later one pending covers both.</summary>
    private static Task Later(Task earlier, Task later) => later.IsCompletedSuccessfully ? earlier : later;
}
