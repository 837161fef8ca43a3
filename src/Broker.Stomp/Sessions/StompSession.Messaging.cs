using System.Globalization;
using Broker.Core;
using Broker.Core.Consumers;
using Broker.Core.Messages;
using Broker.Core.Scheduling;
using Broker.Core.Security;
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
        var destination = RequireDestination(frame);
        Demand(Permission.Send, destination);
        var message = new Message
        {
            MessageId = _broker.NextMessageId(),
            Destination = destination,
            Headers = [.. frame.Headers.Where(h => !BrokerHeaders.Contains(h.Key)).DistinctBy(h => h.Key)],
            Body = frame.Body,
            Persistent = ParseBoolean(frame, "persistent"),
            Priority = ParsePriority(frame["priority"]),
            Expires = ParseLong(frame, "expires"),
            Timestamp = _broker.Clock.GetUtcNow().ToUnixTimeMilliseconds(),
        };
        // ActiveMQ's AMQ_SCHEDULED_* headers: the broker holds the message until it is due (a bad value is an ERROR naming the header).
        var schedule = ScheduleSpec.FromHeaders(message.Headers);
        if (frame["transaction"] is { } transactionId)
        {
            var transaction = RequireTransaction(transactionId);
            if (schedule is not null)
            {
                transaction.Schedule(message, schedule);
            }
            else
            {
                transaction.Send(message);
            }
            EnqueueReceipt(frame);
            return;
        }
        if (schedule is not null)
        {
            EnqueueReceipt(frame, _broker.Schedule(message, schedule));
            return;
        }
        EnqueueReceipt(frame, _broker.Send(message));
        if (!message.Persistent && _broker.Memory.IsFull)
        {
            // Producer flow control: stop reading this client until consumers make room.
            _flowControl = _broker.Memory.WaitForRoomAsync(_closing.Token);
        }
    }

    private void Subscribe(StompFrame frame)
    {
        var destination = RequireDestination(frame);
        Demand(Permission.Consume, destination);
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
        subscription.Consumer = _broker.Subscribe(destination, subscription, new SubscriptionOptions
        {
            AckMode = ackMode,
            Prefetch = prefetch,
            DurableName = durableName,
            ClientId = _clientId,
            Owner = $"{ConnectionId}:{id}",
        });
        _subscriptions[id] = subscription;
        _subscriptionsByNumber[subscription.Number] = subscription;
        EnqueueReceipt(frame);
        subscription.Release();
    }

    private void Unsubscribe(StompFrame frame)
    {
        var id = frame["id"] ?? (_version == StompVersion.V1_0 ? frame["destination"] : null)
            ?? throw new StompProtocolException("UNSUBSCRIBE needs an id header");
        if (!_subscriptions.Remove(id, out var subscription))
        {
            throw new StompProtocolException($"no subscription with id '{id}' on this connection");
        }
        _subscriptionsByNumber.Remove(subscription.Number);
        subscription.Consumer.Close();
        // ActiveMQ's way to delete a durable subscription: UNSUBSCRIBE naming it.
        if ((frame["activemq.subscriptionName"] ?? frame["durable-subscription-name"]) is { } durableName && _clientId is not null)
        {
            _broker.RemoveDurableSubscription(subscription.Destination, _clientId, durableName);
        }
        EnqueueReceipt(frame);
    }

    private void Acknowledge(StompFrame frame, bool accept)
    {
        var (subscription, tag) = FindDelivery(frame);
        Task? durable = Task.CompletedTask;
        var done = frame["transaction"] is { } transactionId && accept
            ? RequireTransaction(transactionId).Ack(subscription.Consumer, tag)
            : accept ? (durable = subscription.Consumer.Acknowledge(tag)) is not null : subscription.Consumer.Nack(tag);
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

    private DestinationName RequireDestination(StompFrame frame) =>
        DestinationName.TryParse(frame["destination"], out var destination, out var error)
            ? destination
            : throw new StompProtocolException(error);

    private void Demand(Permission permission, DestinationName destination)
    {
        if (!_user!.Can(permission, destination.ToString()))
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

    private static long ParseLong(StompFrame frame, string name) =>
        frame[name] is not { } text ? 0
        : long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value
        : throw new StompProtocolException($"{name} '{text}' must be a non-negative number");
}
