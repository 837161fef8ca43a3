using System.Globalization;
using Broker.Core;
using Broker.Core.Consumers;
using Broker.Core.Messages;
using Broker.Core.Scheduling;
using Broker.Core.Security;
using Broker.Core.Selectors;
using Broker.Stomp.Protocol;

namespace Broker.Stomp.Sessions;

public sealed partial class StompSession
{
    /// <summary>SEND headers the broker interprets or replaces; every other header travels with the message.</summary>
    private static readonly HashSet<string> BrokerHeaders =
    [
        "destination", "receipt", "transaction", "content-length", "persistent", "priority", "expires",
        "message-id", "subscription", "ack", "redelivered", "timestamp",
    ];

    private void Send(StompFrame frame)
    {
        // One destination, or a composite (/queue/a,/topic/b) that gets a copy each; never a wildcard.
        var destinations = RequireDestinations(frame, allowWildcards: false);
        foreach (var destination in destinations)
        {
            if (MessageBroker.IsAdvisory(destination))
            {
                throw new BrokerException($"{destination} is an advisory topic: only the broker publishes there");
            }
            Demand(Permission.Send, destination);
        }
        var message = new Message
        {
            MessageId = _broker.NextMessageId(),
            Destination = destinations[0],
            Headers = [.. frame.Headers.Where(h => !BrokerHeaders.Contains(h.Key)).DistinctBy(h => h.Key)],
            Body = frame.Body,
            Persistent = ParseBoolean(frame, "persistent"),
            Priority = ParsePriority(frame["priority"]),
            Expires = ParseLong(frame, "expires"),
            Timestamp = _broker.Clock.GetUtcNow().ToUnixTimeMilliseconds(),
        };
        AdviseProducers(destinations);
        Interlocked.Increment(ref _messagesIn);
        // ActiveMQ's AMQ_SCHEDULED_* headers: the broker holds the message until it is due (a bad value is an ERROR naming the header).
        var schedule = ScheduleSpec.FromHeaders(message.Headers);
        if (schedule is not null && destinations.Count > 1)
        {
            throw new BrokerException("a scheduled message needs one destination, not a composite one");
        }
        if (frame["transaction"] is { } transactionId)
        {
            var transaction = RequireTransaction(transactionId);
            if (schedule is not null)
            {
                transaction.Schedule(message, schedule);
            }
            else
            {
                transaction.Send(message, destinations);
            }
            EnqueueReceipt(frame);
            return;
        }
        if (schedule is not null)
        {
            EnqueueReceipt(frame, _broker.Schedule(message, schedule));
            return;
        }
        EnqueueReceipt(frame, destinations.Count == 1 ? _broker.Send(message) : _broker.Send(message, destinations));
        if (!message.Persistent && _broker.Memory.IsFull)
        {
            // Producer flow control: stop reading this client until consumers make room.
            _flowControl = _broker.Memory.WaitForRoomAsync(_closing.Token);
        }
    }

    private void Subscribe(StompFrame frame)
    {
        // One destination, a wildcard (/topic/PRICE.>, /queue/orders.*), or a composite of them.
        var destinations = RequireDestinations(frame, allowWildcards: true);
        foreach (var name in destinations)
        {
            Demand(Permission.Consume, name);
        }
        var destination = destinations[0];
        // STOMP 1.0 made the id optional; the destination then names the subscription.
        var id = frame["id"] ?? (_version == StompVersion.V1_0 ? destination.ToString() : throw new StompProtocolException("SUBSCRIBE needs an id header"));
        if (_subscriptions.ContainsKey(id))
        {
            throw new StompProtocolException($"subscription id '{id}' is already in use on this connection");
        }
        if (_subscriptions.Count >= _broker.Options.MaxSubscriptionsPerConnection)
        {
            throw new BrokerException($"a connection may hold at most {_broker.Options.MaxSubscriptionsPerConnection} subscriptions (MaxSubscriptionsPerConnection)");
        }
        var ackMode = frame["ack"] switch
        {
            null or "auto" => AckMode.Auto,
            "client" => AckMode.Client,
            "client-individual" => AckMode.ClientIndividual,
            var other => throw new StompProtocolException($"ack mode '{other}' is not one of auto, client, client-individual"),
        };
        var prefetch = frame["activemq.prefetchSize"] is { } size
            ? int.TryParse(size, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed)
                ? parsed
                : throw new StompProtocolException($"activemq.prefetchSize '{size}' is not a positive number")
            : _broker.Options.DefaultPrefetch;
        var durableName = frame["activemq.subscriptionName"] ?? frame["durable-subscription-name"];
        if (durableName is not null && destination.IsQueue)
        {
            throw new StompProtocolException("a durable subscription needs a /topic/ destination");
        }
        if (durableName is not null && string.IsNullOrEmpty(_clientId))
        {
            throw new StompProtocolException("a durable subscription needs the client-id header on CONNECT");
        }
        var subscription = new Subscription(this, id, destination, ++_nextSubscriptionNumber);
        var options = new SubscriptionOptions
        {
            AckMode = ackMode,
            Prefetch = prefetch,
            DurableName = durableName,
            ClientId = _clientId,
            Owner = $"{ConnectionId}:{id}",
            Exclusive = ParseBoolean(frame, "activemq.exclusive"),
            Priority = ParseConsumerPriority(frame["activemq.priority"]),
            Selector = ParseSelector(frame["selector"]),
        };
        if (destinations.Count == 1 && !(destination.IsQueue && destination.IsWildcard))
        {
            subscription.Consumer = _broker.Subscribe(destination, subscription, options);
        }
        else
        {
            subscription.Set = _broker.SubscribeAll(destinations, subscription, options);
        }
        subscription.Destinations = destinations;
        subscription.Selector = options.Selector?.Text;
        _subscriptions[id] = subscription;
        _subscriptionsByNumber[subscription.Number] = subscription;
        PublishSubscriptionView();
        EnqueueReceipt(frame);
        subscription.Release();
        AdviseConsumers(subscription, added: true);
    }

    /// <summary>The consumer advisories of a subscription that began or ended, one per destination it named.</summary>
    private void AdviseConsumers(Subscription subscription, bool added)
    {
        foreach (var destination in subscription.Destinations)
        {
            _broker.AdviseConsumer(destination, added, $"{ConnectionId}:{subscription.Id}", ConnectionId);
        }
    }

    /// <summary>A connection's first SEND to a destination makes it a producer there (ActiveMQ's producer advisory).</summary>
    private void AdviseProducers(IReadOnlyList<DestinationName> destinations)
    {
        foreach (var destination in destinations)
        {
            // Bounded: a connection that sends to ever new destinations stops being announced past the limit.
            if (_producedTo.Count < MaxAdvisedProducers && _producedTo.Add(destination))
            {
                _broker.AdviseProducer(destination, added: true, ConnectionId);
            }
        }
    }

    private void Unsubscribe(StompFrame frame)
    {
        // ActiveMQ's way to delete a durable subscription: UNSUBSCRIBE naming it, on the connection that holds it or,
        // once its subscriber is gone, on any connection with the same client-id.
        var durableName = frame["activemq.subscriptionName"] ?? frame["durable-subscription-name"];
        var id = frame["id"] ?? (_version == StompVersion.V1_0 ? frame["destination"] : null);
        if (id is null && durableName is null)
        {
            throw new StompProtocolException("UNSUBSCRIBE needs an id header");
        }
        Subscription? subscription = null;
        var held = id is not null && _subscriptions.Remove(id, out subscription);
        if (held)
        {
            _subscriptionsByNumber.Remove(subscription!.Number);
            PublishSubscriptionView();
            subscription.Close();
            AdviseConsumers(subscription, added: false);
        }
        else if (durableName is null)
        {
            throw new StompProtocolException($"no subscription with id '{id}' on this connection");
        }
        if (durableName is not null)
        {
            if (string.IsNullOrEmpty(_clientId))
            {
                throw new StompProtocolException("deleting a durable subscription needs the client-id header on CONNECT");
            }
            if (!_broker.RemoveDurableSubscription(_clientId, durableName) && !held)
            {
                throw new BrokerException($"no durable subscription '{durableName}' for client-id '{_clientId}'");
            }
        }
        EnqueueReceipt(frame);
    }

    private void Acknowledge(StompFrame frame, bool accept)
    {
        var (subscription, tag) = FindDelivery(frame);
        Task? durable = Task.CompletedTask;
        // One consumer and tag; in client mode on a composite or wildcard subscription, each member's latest delivery
        // up to this one.
        var done = false;
        foreach (var (consumer, memberTag) in subscription.Resolve(tag))
        {
            if (frame["transaction"] is { } transactionId && accept)
            {
                done |= RequireTransaction(transactionId).Ack(consumer, memberTag);
            }
            else if (accept)
            {
                // The journal completes removals in order: the last one pending covers those before it.
                if (consumer.Acknowledge(memberTag) is { } removed)
                {
                    durable = removed.IsCompletedSuccessfully && durable is not null ? durable : removed;
                    done = true;
                }
            }
            else
            {
                done |= consumer.Nack(memberTag);
            }
        }
        if (!done)
        {
            throw new StompProtocolException($"{frame.Command} for a message that is not awaiting acknowledgement");
        }
        if (durable is { IsCompleted: false } && frame["receipt"] is null)
        {
            // The removal rides the store's next commit; this connection's next frames do not wait for it.
            ReportStoreFailure(durable);
            return;
        }
        // A receipt says the removal is durable: ask the store to flush now rather than when the next SEND does.
        EnqueueReceipt(frame, durable is { IsCompleted: false } ? _broker.WhenStoredSoFar() : durable);
    }

    /// <summary>Finds what an ACK or NACK refers to: the 1.2 <c>id</c>, or the 1.0/1.1 <c>message-id</c> (+ <c>subscription</c>).</summary>
    private (Subscription Subscription, long Tag) FindDelivery(StompFrame frame)
    {
        if (_version == StompVersion.V1_2)
        {
            var ackId = frame["id"] ?? throw new StompProtocolException($"{frame.Command} needs an id header");
            if (Subscription.TryParseAckId(ackId, out var number, out var tag) && _subscriptionsByNumber.TryGetValue(number, out var owner))
            {
                return (owner, tag);
            }
            throw new StompProtocolException($"{frame.Command} for unknown id '{ackId}'");
        }
        var messageId = frame["message-id"] ?? throw new StompProtocolException($"{frame.Command} needs a message-id header");
        IEnumerable<Subscription> candidates = frame["subscription"] is { } subscriptionId
            ? _subscriptions.TryGetValue(subscriptionId, out var named) ? [named] : []
            : _subscriptions.Values;
        foreach (var candidate in candidates)
        {
            if (candidate.TryTakeTag(messageId, out var tag))
            {
                return (candidate, tag);
            }
        }
        throw new StompProtocolException($"{frame.Command} for unknown message-id '{messageId}'");
    }

    private static IReadOnlyList<DestinationName> RequireDestinations(StompFrame frame, bool allowWildcards) =>
        DestinationName.TryParseComposite(frame["destination"], allowWildcards, out var destinations, out var error)
            ? destinations
            : throw new StompProtocolException(error);

    /// <summary>
    /// A wildcard is allowed only when the user may do <paramref name="permission"/> on every destination it can
    /// match (<see cref="BrokerUser.CanAll"/>), so it never reaches a queue or topic the user could not name.
    /// </summary>
    private void Demand(Permission permission, DestinationName destination)
    {
        var allowed = destination.IsWildcard ? _user!.CanAll(permission, destination) : _user!.Can(permission, destination.ToString());
        if (!allowed)
        {
            throw new BrokerException($"user '{_user.Name}' may not {(permission == Permission.Send ? "send to" : "consume from")} {destination}");
        }
    }

    private static bool ParseBoolean(StompFrame frame, string name) => frame[name] switch
    {
        null or "false" => false,
        "true" => true,
        var other => throw new StompProtocolException($"{name} '{other}' must be true or false"),
    };

    private static byte ParsePriority(string? text) =>
        text is null ? Message.DefaultPriority
        : byte.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var priority) && priority <= 9 ? priority
        : throw new StompProtocolException($"priority '{text}' must be a number from 0 to 9");

    private static MessageSelector? ParseSelector(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        try
        {
            return MessageSelector.Parse(text);
        }
        catch (SelectorException e)
        {
            throw new StompProtocolException($"invalid selector '{text}': {e.Message}");
        }
    }

    private static int ParseConsumerPriority(string? text) =>
        text is null ? 0
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var priority) && priority <= SubscriptionOptions.MaxPriority ? priority
        : throw new StompProtocolException($"activemq.priority '{text}' must be a number from 0 to {SubscriptionOptions.MaxPriority}");

    private static long ParseLong(StompFrame frame, string name) =>
        frame[name] is not { } text ? 0
        : long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value
        : throw new StompProtocolException($"{name} '{text}' must be a non-negative number");
}
