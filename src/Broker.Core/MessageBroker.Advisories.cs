using System.Collections.Concurrent;
using System.Text.Json;
using Broker.Core.Events;
using Broker.Core.Messages;

namespace Broker.Core;

/// <summary>
/// ActiveMQ's advisory topics, the subset docs/activemq-features.md lists: STOMP messages with a JSON body and a
/// <c>type</c> header, published only to an advisory topic that exists with subscribers (or a wildcard topic that
/// matches one), never persistent. So nobody listening costs one dictionary lookup per event: connection churn never
/// creates a destination, a journal record or a message.
/// </summary>
public sealed partial class MessageBroker
{
    public const string AdvisoryPrefix = "ActiveMQ.Advisory.";
    public const string ConnectionAdvisory = AdvisoryPrefix + "Connection";
    public const string MasterBrokerAdvisory = AdvisoryPrefix + "MasterBroker";
    public const string ReplicationAdvisory = AdvisoryPrefix + "Replication";

    /// <summary>Producers per destination (a connection's first SEND there makes it one, its close ends it).</summary>
    private readonly ConcurrentDictionary<DestinationName, int> _producers = new();

    /// <summary>Whether a destination is one of the advisory topics, about which no advisory is ever published.</summary>
    public static bool IsAdvisory(DestinationName destination) =>
        !destination.IsQueue && destination.Name.StartsWith(AdvisoryPrefix, StringComparison.Ordinal);

    /// <summary>A client connection logged in (<paramref name="opened"/>) or closed.</summary>
    public void AdviseConnection(bool opened, string connectionId, string user, string? clientId, string remoteAddress)
    {
        if (!HasListeners(ConnectionAdvisory))
        {
            return;
        }
        Advise(ConnectionAdvisory, opened ? "ConnectionOpened" : "ConnectionClosed", [],
            ("connectionId", connectionId), ("clientId", clientId), ("user", user), ("remoteAddress", remoteAddress));
    }

    /// <summary>A consumer was added to or removed from <paramref name="destination"/> (a wildcard's pattern included).</summary>
    public void AdviseConsumer(DestinationName destination, bool added, string consumerId, string connectionId)
    {
        if (IsAdvisory(destination))
        {
            return;
        }
        var topic = AdvisoryPrefix + (destination.IsQueue ? "Consumer.Queue." : "Consumer.Topic.") + destination.Name;
        if (!HasListeners(topic))
        {
            return;
        }
        long count = GetDestination(destination)?.Consumers ?? 0;
        Advise(topic, added ? "ConsumerAdded" : "ConsumerRemoved", [new("consumerCount", count.ToString(System.Globalization.CultureInfo.InvariantCulture))],
            ("destination", destination.ToString()), ("consumerId", consumerId), ("connectionId", connectionId), ("consumerCount", count));
    }

    /// <summary>A connection became a producer of <paramref name="destination"/> (its first SEND there), or stopped being one (it closed).</summary>
    public void AdviseProducer(DestinationName destination, bool added, string connectionId)
    {
        if (IsAdvisory(destination) || destination.IsWildcard)
        {
            return;
        }
        var count = added
            ? _producers.AddOrUpdate(destination, 1, (_, n) => n + 1)
            : _producers.AddOrUpdate(destination, 0, (_, n) => Math.Max(0, n - 1));
        if (count == 0)
        {
            _producers.TryRemove(KeyValuePair.Create(destination, 0));
        }
        var topic = AdvisoryPrefix + (destination.IsQueue ? "Producer.Queue." : "Producer.Topic.") + destination.Name;
        if (!HasListeners(topic))
        {
            return;
        }
        Advise(topic, added ? "ProducerAdded" : "ProducerRemoved", [new("producerCount", count.ToString(System.Globalization.CultureInfo.InvariantCulture))],
            ("destination", destination.ToString()), ("connectionId", connectionId), ("producerCount", (long)count));
    }

    /// <summary>The master/slave events of the timeline, as advisories (called for every event the broker publishes).</summary>
    private void AdviseEvent(BrokerEvent @event)
    {
        if (@event.Kind is not (BrokerEventKind.Promoted or BrokerEventKind.Demoted or BrokerEventKind.MasterFailed or BrokerEventKind.SlaveAttached
            or BrokerEventKind.SlaveInSync or BrokerEventKind.SlaveDetached or BrokerEventKind.Switchover or BrokerEventKind.Unprotected
            or BrokerEventKind.ResyncStarted or BrokerEventKind.ResyncFinished or BrokerEventKind.RecordsSetAside))
        {
            return;
        }
        (string Name, object? Value)[] fields =
            [("broker", Name), ("event", @event.Kind.ToString()), ("detail", @event.Detail), ("time", @event.Time.ToString("O"))];
        if (@event.Kind == BrokerEventKind.Promoted && HasListeners(MasterBrokerAdvisory))
        {
            Advise(MasterBrokerAdvisory, "MasterBroker", [], fields);
        }
        if (HasListeners(ReplicationAdvisory))
        {
            Advise(ReplicationAdvisory, @event.Kind.ToString(), [], fields);
        }
    }

    /// <summary>Whether an advisory to <paramref name="topic"/> would reach anyone: its topic or a matching wildcard has subscriptions.</summary>
    private bool HasListeners(string topic)
    {
        if (State != BrokerState.Started || _context.Quiesced)
        {
            return false;
        }
        if (!DestinationPattern.IsWildcard(topic) && _destinations.TryGetValue(DestinationName.Topic(topic), out var destination) && destination.Targets.Count > 0)
        {
            return true;
        }
        foreach (var wildcard in Volatile.Read(ref _wildcardTopics))
        {
            if (wildcard.Targets.Count > 0 && wildcard.Pattern!.Matches(topic))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Sends one advisory to its topic, only if the topic exists, and to the wildcard topics matching it.</summary>
    private void Advise(string topic, string type, KeyValuePair<string, string>[] headers, params (string Name, object? Value)[] fields)
    {
        var name = DestinationName.Topic(topic);
        var message = new Message
        {
            MessageId = NextMessageId(),
            Destination = name,
            Headers = [new("type", type), new("content-type", "application/json"), .. headers],
            Body = Json(type, fields),
            Timestamp = Clock.GetUtcNow().ToUnixTimeMilliseconds(),
        };
        try
        {
            // The advisory of a wildcard consumer has a wildcard in its topic's name: a destination of that name is a
            // wildcard topic, which the routes below reach when it matches; sending to it by name would deliver twice.
            if (!name.IsWildcard && _destinations.TryGetValue(name, out var destination) && destination.TryEnter())
            {
                try
                {
                    destination.Send(message, null, 0);
                }
                finally
                {
                    destination.Exit();
                }
            }
            SendToRoutes(message, null, 0);
        }
        catch (BrokerException)
        {
            // An advisory is best effort: a broker stopping or handing over drops it, the operation it reports goes on.
        }
    }

    private static byte[] Json(string type, (string Name, object? Value)[] fields)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("type", type);
            foreach (var (field, value) in fields)
            {
                switch (value)
                {
                    case null:
                        json.WriteNull(field);
                        break;
                    case long number:
                        json.WriteNumber(field, number);
                        break;
                    default:
                        json.WriteString(field, value.ToString());
                        break;
                }
            }
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }
}
