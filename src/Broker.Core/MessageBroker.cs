using System.Collections.Concurrent;
using Broker.Core.Consumers;
using Broker.Core.Destinations;
using Broker.Core.Events;
using Broker.Core.Messages;
using Broker.Core.Transactions;
using Microsoft.Extensions.Logging;

namespace Broker.Core;

/// <summary>
/// One named broker: its destinations, their consumers, and the operations every protocol adapter and the
/// console use. It knows nothing of sockets or wire formats.
/// </summary>
public sealed class MessageBroker : IAsyncDisposable
{
    private readonly ConcurrentDictionary<DestinationName, Destination> _destinations = new();
    private readonly BrokerContext _context;
    private readonly EventLog _events;
    private readonly ILogger _logger;
    private readonly string _messageIdPrefix;
    private ITimer? _expirySweep;
    private long _nextMessageId;

    public MessageBroker(string name, BrokerOptions options, EventLog events, ILogger logger, TimeProvider? clock = null)
    {
        Name = name;
        Options = options;
        _events = events;
        _logger = logger;
        _context = new BrokerContext(options, clock ?? TimeProvider.System, DeadLetter);
        // Unique across restarts without coordination: broker name, a random instance part, a counter.
        _messageIdPrefix = $"ID:{name}-{Guid.NewGuid().ToString("N")[..12]}-";
    }

    public string Name { get; }

    public BrokerOptions Options { get; }

    public BrokerState State { get; private set; } = BrokerState.Stopped;

    public DateTimeOffset? StartedAt { get; private set; }

    public MemoryAccount Memory => _context.Memory;

    public BrokerCounters Counters { get; } = new();

    public TimeProvider Clock => _context.Clock;

    /// <summary>Raised after every state change, outside any lock.</summary>
    public event Action<MessageBroker, BrokerState>? StateChanged;

    public void Start()
    {
        if (State is BrokerState.Started or BrokerState.Starting)
        {
            return;
        }
        SetState(BrokerState.Starting, "broker starting");
        _expirySweep = Clock.CreateTimer(_ => SweepExpired(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        StartedAt = Clock.GetUtcNow();
        SetState(BrokerState.Started, "broker started");
    }

    /// <summary>Stops dispatching: every subscription is ended. Messages stay where they are.</summary>
    public async Task StopAsync()
    {
        if (State is BrokerState.Stopped or BrokerState.Stopping)
        {
            return;
        }
        SetState(BrokerState.Stopping, "broker stopping");
        if (_expirySweep is { } sweep)
        {
            await sweep.DisposeAsync();
        }
        foreach (var destination in _destinations.Values)
        {
            destination.Close("broker stopping");
        }
        StartedAt = null;
        SetState(BrokerState.Stopped, "broker stopped");
    }

    public string NextMessageId() => _messageIdPrefix + Interlocked.Increment(ref _nextMessageId);

    public void Send(Message message)
    {
        EnsureStarted();
        GetOrCreate(message.Destination).Send(message);
        Counters.MessageIn();
    }

    public Consumer Subscribe(DestinationName destination, IDeliverySink sink, SubscriptionOptions options)
    {
        EnsureStarted();
        if (options.Prefetch < 1 || options.Prefetch > Options.MaxPrefetch)
        {
            throw new BrokerException($"prefetch {options.Prefetch} is outside 1..{Options.MaxPrefetch}");
        }
        return GetOrCreate(destination).Subscribe(new CountingSink(sink, Counters), options);
    }

    /// <summary>Deletes a durable topic subscription and the messages it kept.</summary>
    public bool RemoveDurableSubscription(DestinationName topic, string clientId, string durableName) =>
        _destinations.TryGetValue(topic, out var destination)
        && destination is TopicDestination t
        && t.RemoveDurable(clientId, durableName);

    public Transaction BeginTransaction(string id)
    {
        EnsureStarted();
        return new Transaction(this, id);
    }

    public IReadOnlyList<DestinationStatistics> GetDestinations() =>
        [.. _destinations.Values.Select(d => d.GetStatistics()).OrderBy(s => s.Kind).ThenBy(s => s.Name, StringComparer.Ordinal)];

    public DestinationStatistics? GetDestination(DestinationName name) =>
        _destinations.TryGetValue(name, out var destination) ? destination.GetStatistics() : null;

    /// <summary>The messages of a queue in dispatch order, waiting or in flight; consumes nothing.</summary>
    public IReadOnlyList<BrowsedMessage> Browse(string queue) =>
        _destinations.TryGetValue(DestinationName.Queue(queue), out var destination) && destination is QueueDestination q
            ? [.. q.Queue.Browse().Select(m => new BrowsedMessage(m.Message, m.DeliveryCount))]
            : [];

    public int Purge(string queue) =>
        _destinations.TryGetValue(DestinationName.Queue(queue), out var destination) && destination is QueueDestination q
            ? q.Queue.Purge()
            : 0;

    public bool DeleteDestination(DestinationName name)
    {
        if (!_destinations.TryRemove(name, out var destination))
        {
            return false;
        }
        destination.Close($"destination {name} was deleted");
        if (destination is QueueDestination q)
        {
            q.Queue.Purge();
        }
        Publish(BrokerEventKind.DestinationDeleted, name.ToString());
        return true;
    }

    /// <summary>Admits a connection within <see cref="BrokerOptions.MaxConnections"/>; pair with <see cref="CloseConnection"/>.</summary>
    public bool TryOpenConnection() => Counters.TryOpenConnection(Options.MaxConnections);

    public void CloseConnection() => Counters.CloseConnection();

    public void Publish(BrokerEventKind kind, string detail) =>
        _events.Publish(new BrokerEvent(Clock.GetUtcNow(), Name, kind, detail));

    public async ValueTask DisposeAsync() => await StopAsync();

    private Destination GetOrCreate(DestinationName name)
    {
        if (_destinations.TryGetValue(name, out var existing))
        {
            return existing;
        }
        if (_destinations.Count >= Options.MaxDestinations)
        {
            throw new BrokerException($"broker {Name} already has {Options.MaxDestinations} destinations (MaxDestinations)");
        }
        var created = false;
        var destination = _destinations.GetOrAdd(name, n =>
        {
            created = true;
            return n.IsQueue ? new QueueDestination(n, _context) : new TopicDestination(n, _context);
        });
        if (created)
        {
            BrokerLog.DestinationCreated(_logger, Name, name.ToString());
            Publish(BrokerEventKind.DestinationCreated, name.ToString());
        }
        return destination;
    }

    private void DeadLetter(string queue, Message message, string reason)
    {
        var dlq = DestinationName.Queue(BrokerContext.DeadLetterPrefix + queue);
        BrokerLog.DeadLettered(_logger, Name, message.MessageId, queue, reason);
        GetOrCreate(dlq).Send(message with
        {
            Destination = dlq,
            Expires = 0,
            Headers = [.. message.Headers, new("original-destination", message.Destination.ToString()), new("dlq-reason", reason)],
        });
    }

    private void SweepExpired()
    {
        foreach (var destination in _destinations.Values)
        {
            destination.SweepExpired();
        }
    }

    private void EnsureStarted()
    {
        if (State != BrokerState.Started)
        {
            throw new BrokerException($"broker {Name} is {State.ToString().ToLowerInvariant()}");
        }
    }

    private void SetState(BrokerState state, string detail)
    {
        State = state;
        BrokerLog.StateChanged(_logger, Name, state);
        Publish(state switch
        {
            BrokerState.Starting => BrokerEventKind.BrokerStarting,
            BrokerState.Started => BrokerEventKind.BrokerStarted,
            _ => BrokerEventKind.BrokerStopped,
        }, detail);
        StateChanged?.Invoke(this, state);
    }

    /// <summary>Counts deliveries on their way to any protocol.</summary>
    private sealed class CountingSink(IDeliverySink inner, BrokerCounters counters) : IDeliverySink
    {
        public void Deliver(Consumer consumer, Delivery delivery)
        {
            counters.MessageOut();
            inner.Deliver(consumer, delivery);
        }

        public void Closed(Consumer consumer, string reason) => inner.Closed(consumer, reason);
    }
}

/// <summary>A message as browsing shows it, with how often it has gone out.</summary>
public sealed record BrowsedMessage(Message Message, int DeliveryCount);
