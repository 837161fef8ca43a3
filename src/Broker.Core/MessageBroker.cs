using System.Collections.Concurrent;
using Broker.Core.Consumers;
using Broker.Core.Destinations;
using Broker.Core.Events;
using Broker.Core.Handover;
using Broker.Core.Messages;
using Broker.Core.Storage;
using Broker.Core.Transactions;
using Microsoft.Extensions.Logging;

namespace Broker.Core;

/// <summary>
/// One named broker: its destinations, their consumers, and the operations every protocol adapter and the
/// console use. It knows nothing of sockets or wire formats; durability goes through <see cref="IMessageStore"/>.
/// </summary>
public sealed partial class MessageBroker : IAsyncDisposable
{
    private readonly ConcurrentDictionary<DestinationName, Destination> _destinations = new();
    private readonly BrokerContext _context;
    private readonly EventLog _events;
    private readonly ILogger _logger;
    private readonly string _messageIdPrefix;
    private long _nextMessageId;

    public MessageBroker(string name, BrokerOptions options, EventLog events, ILogger logger, TimeProvider? clock = null, IMessageStore? store = null)
    {
        Name = name;
        Options = options;
        _events = events;
        _logger = logger;
        _context = new BrokerContext(options, clock ?? TimeProvider.System, store, DeadLetter);
        Duplicates = new DuplicateFilter(options.ProducerIdleTimeout);
        TransactionOutcomes = new TransactionOutcomes(options.TransactionOutcomeRetention, _context.Clock);
        CreateScheduler();
        // Unique across restarts without coordination: broker name, a random instance part, a counter.
        _messageIdPrefix = $"ID:{name}-{Guid.NewGuid().ToString("N")[..12]}-";
    }

    public string Name { get; }

    public BrokerOptions Options { get; }

    public BrokerState State { get; private set; } = BrokerState.Stopped;

    public DateTimeOffset? StartedAt { get; private set; }

    public MemoryAccount Memory => _context.Memory;

    public IMessageStore? Store => _context.Store;

    public BrokerCounters Counters { get; } = new();

    public DuplicateFilter Duplicates { get; }

    /// <summary>How recent transactions ended, for a COMMIT repeated after a reconnection.</summary>
    public TransactionOutcomes TransactionOutcomes { get; }

    public TimeProvider Clock => _context.Clock;

    /// <summary>When set, new client connections are refused (a master waiting for its slave, or handing over).</summary>
    public ClientRefusal? ClientRefusal { get; set; }

    /// <summary>Raised after every state change, outside any lock.</summary>
    public event Action<MessageBroker, BrokerState>? StateChanged;

    public void Start()
    {
        if (State is BrokerState.Started or BrokerState.Starting)
        {
            return;
        }
        SetState(BrokerState.Starting, "broker starting");
        _sweep = Clock.CreateTimer(_ => Sweep(), null, SweepPeriod, SweepPeriod);
        Scheduler.Start();
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
        if (_sweep is { } sweep)
        {
            await sweep.DisposeAsync();
        }
        await Scheduler.StopAsync();
        foreach (var destination in _destinations.Values)
        {
            destination.Close("broker stopping");
        }
        StartedAt = null;
        SetState(BrokerState.Stopped, "broker stopped");
    }

    public string NextMessageId() => _messageIdPrefix + Interlocked.Increment(ref _nextMessageId);

    /// <summary>
    /// Accepts a message. The task completes when it is durable (at once for a non-persistent message); a
    /// duplicate of one already accepted is dropped and completes when the original is durable.
    /// </summary>
    public Task Send(Message message)
    {
        EnsureStarted();
        if (AdmitSend(message, out var producerId, out var producerSequence) is { } copy)
        {
            return copy;
        }
        Task durable;
        try
        {
            durable = SendRouted(message, producerId, producerSequence);
        }
        catch (Exception e) when (producerId is not null)
        {
            // Refused (store full, unprotected pair, too many destinations): the producer's retry must be stored.
            Duplicates.Refused(producerId, producerSequence, e);
            throw;
        }
        Counters.MessageIn();
        if (producerId is not null)
        {
            Duplicates.Accepted(producerId, producerSequence, Store?.LastSequence ?? 0, durable);
        }
        return durable;
    }

    /// <summary>
    /// Accepts one message for several destinations (a composite, <c>/queue/a,/topic/b</c>): a copy goes to each,
    /// addressed to it, all with the message's id. The duplicate filter sees the message once. The task completes when
    /// every copy is durable. A destination that refuses (too many destinations) ends the send there: the copies
    /// before it stay sent.
    /// </summary>
    public Task Send(Message message, IReadOnlyList<DestinationName> destinations)
    {
        if (destinations.Count == 1)
        {
            return Send(message with { Destination = destinations[0] });
        }
        EnsureStarted();
        if (AdmitSend(message, out var producerId, out var producerSequence) is { } copy)
        {
            return copy;
        }
        var durable = Task.CompletedTask;
        try
        {
            foreach (var destination in destinations)
            {
                durable = Later(durable, SendRouted(message with { Destination = destination }, producerId, producerSequence));
                Counters.MessageIn();
            }
        }
        catch (Exception e) when (producerId is not null)
        {
            Duplicates.Refused(producerId, producerSequence, e);
            throw;
        }
        if (producerId is not null)
        {
            Duplicates.Accepted(producerId, producerSequence, Store?.LastSequence ?? 0, durable);
        }
        return durable;
    }

    /// <summary>
    /// Accepts a message as it was once accepted elsewhere (its id, headers and timestamp kept): an operator's replay
    /// of records set aside after a split. The duplicate filter is neither asked nor moved: it keeps only each
    /// producer's highest sequence, so it would drop exactly the messages this broker never had; the caller decides
    /// what is a duplicate. The task completes when the message is durable.
    /// </summary>
    public Task Restore(Message message)
    {
        EnsureStarted();
        var durable = GetOrCreate(message.Destination).Send(message, null, 0);
        Counters.MessageIn();
        return durable;
    }

    public Consumer Subscribe(DestinationName destination, IDeliverySink sink, SubscriptionOptions options)
    {
        EnsureStarted();
        if (options.Prefetch < 1 || options.Prefetch > Options.MaxPrefetch)
        {
            throw new BrokerException($"prefetch {options.Prefetch} is outside 1..{Options.MaxPrefetch}");
        }
        if (destination.IsQueue && destination.IsWildcard)
        {
            throw new BrokerException($"{destination} is a queue wildcard: subscribe with SubscribeAll, which follows every matching queue");
        }
        if (destination.IsWildcard && DestinationPattern.Of(destination) is null)
        {
            throw new BrokerException($"'{destination}' is not a valid wildcard");
        }
        var target = Enter(destination);
        try
        {
            return target.Subscribe(new CountingSink(sink, Counters), options);
        }
        finally
        {
            target.Exit();
        }
    }

    /// <summary>Deletes a durable topic subscription and the messages it kept.</summary>
    public bool RemoveDurableSubscription(DestinationName topic, string clientId, string durableName) =>
        _destinations.TryGetValue(topic, out var destination)
        && destination is TopicDestination t
        && t.RemoveDurable(clientId, durableName);

    /// <summary>
    /// Deletes the durable subscriptions of <paramref name="clientId"/> named <paramref name="durableName"/>, whichever
    /// topic they are on (ActiveMQ names one by client id and name alone); one with its subscriber online is refused.
    /// </summary>
    /// <returns>False when there is none.</returns>
    public bool RemoveDurableSubscription(string clientId, string durableName)
    {
        var found = false;
        foreach (var topic in _destinations.Values.OfType<TopicDestination>())
        {
            if (topic.FindDurable(clientId, durableName) is not { } queue)
            {
                continue;
            }
            if (queue.ConsumerCount > 0)
            {
                throw new BrokerException($"durable subscription '{clientId}:{durableName}' on {topic.Name} is in use by a subscriber");
            }
            found |= topic.RemoveDurable(clientId, durableName);
        }
        return found;
    }

    public Transaction BeginTransaction(string id)
    {
        EnsureStarted();
        return new Transaction(this, id);
    }

    public IReadOnlyList<DestinationStatistics> GetDestinations() =>
        [.. _destinations.Values.Select(d => d.GetStatistics()).OrderBy(s => s.Kind).ThenBy(s => s.Name, StringComparer.Ordinal)];

    /// <summary>
    /// Every destination's figures in no particular order, read as the enumeration goes: no sorting and no list, for
    /// summaries over many destinations (metrics).
    /// </summary>
    public IEnumerable<DestinationStatistics> EnumerateDestinations()
    {
        foreach (var (_, destination) in _destinations)
        {
            yield return destination.GetStatistics();
        }
    }

    public DestinationStatistics? GetDestination(DestinationName name) =>
        _destinations.TryGetValue(name, out var destination) ? destination.GetStatistics() : null;

    /// <summary>The messages of a queue in dispatch order, waiting or in flight; consumes nothing.</summary>
    public IReadOnlyList<BrowsedMessage> Browse(string queue) =>
        _destinations.TryGetValue(DestinationName.Queue(queue), out var destination) && destination is QueueDestination q
            ? [.. q.Queue.Browse().Select(m => new BrowsedMessage(m.Load(Store), m.DeliveryCount))]
            : [];

    /// <summary>
    /// One page of a queue in dispatch order, and how many messages match; consumes nothing. Without a filter
    /// only the page is read (a paged message comes back from the journal), so browsing has no cap.
    /// </summary>
    public (int Total, IReadOnlyList<BrowsedMessage> Page) Browse(string queue, int offset, int limit, Func<Message, bool>? filter = null)
    {
        if (!_destinations.TryGetValue(DestinationName.Queue(queue), out var destination) || destination is not QueueDestination q)
        {
            return (0, []);
        }
        var all = q.Queue.Browse();
        if (filter is null)
        {
            return (all.Count, [.. all.Skip(offset).Take(limit).Select(m => new BrowsedMessage(m.Load(Store), m.DeliveryCount))]);
        }
        // Each message is read and tested once; only the page is kept, so a filtered browse of a paged queue stays small.
        var total = 0;
        var page = new List<BrowsedMessage>();
        foreach (var queued in all)
        {
            var message = queued.Load(Store);
            if (filter(message) && total++ >= offset && page.Count < limit)
            {
                page.Add(new BrowsedMessage(message, queued.DeliveryCount));
            }
        }
        return (total, page);
    }

    /// <summary>Deletes one waiting message; false when no such message waits in the queue.</summary>
    public bool DeleteMessage(string queue, string messageId) =>
        _destinations.TryGetValue(DestinationName.Queue(queue), out var destination) && destination is QueueDestination q
        && q.Queue.RemoveWaiting(messageId, RemovalReason.Deleted, out _);

    /// <summary>
    /// Moves (or copies) one waiting message to another destination as a new message with a new id; the
    /// original keeps its headers. A move sends the new message, then removes the original.
    /// </summary>
    public async Task<string?> MoveMessageAsync(string queue, string messageId, DestinationName target, bool copy)
    {
        EnsureStarted();
        if (!_destinations.TryGetValue(DestinationName.Queue(queue), out var destination) || destination is not QueueDestination q)
        {
            return null;
        }
        var original = q.Queue.Browse().Select(m => m.Load(Store)).FirstOrDefault(m => m.MessageId == messageId);
        if (original is null)
        {
            return null;
        }
        // A new message: the producer's duplicate-filter marks belong to the original.
        var moved = original with
        {
            MessageId = NextMessageId(),
            Destination = target,
            Headers = [.. original.Headers.Where(h => h.Key is not (DuplicateFilter.ProducerIdHeader or DuplicateFilter.ProducerSequenceHeader))],
        };
        // Sent first, removed after: a send that fails (store full, unprotected pair) leaves the original in place.
        await Send(moved);
        if (!copy && !q.Queue.RemoveWaiting(messageId, RemovalReason.DeadLettered, out _))
        {
            // A consumer took the original meanwhile: it was delivered; the copy stays, like a copy.
            BrokerLog.MoveBecameCopy(_logger, Name, messageId, queue);
        }
        return moved.MessageId;
    }

    /// <summary>Removes the waiting messages of <paramref name="queue"/>, at most <paramref name="max"/>; how many.</summary>
    public int Purge(string queue, int max = int.MaxValue) =>
        _destinations.TryGetValue(DestinationName.Queue(queue), out var destination) && destination is QueueDestination q
            ? q.Queue.Purge(max: max)
            : 0;

    /// <summary>
    /// Deletes a destination with its consumers, messages and durable subscriptions. Sends and subscriptions that
    /// come after it get a new destination of that name, journaled after this deletion.
    /// </summary>
    public bool DeleteDestination(DestinationName name)
    {
        // One at a time with the sweep, which may be removing the same destination.
        lock (_sweepLock)
        {
            if (!_destinations.TryGetValue(name, out var destination))
            {
                return false;
            }
            destination.Retire();
            try
            {
                destination.Close($"destination {name} was deleted");
                switch (destination)
                {
                    case QueueDestination q:
                        q.Queue.Purge(RemovalReason.Deleted);
                        break;
                    case TopicDestination t:
                        t.DropDurableSubscriptions();
                        break;
                }
                // Journaled before it leaves the dictionary, so a sender that recreates it journals that after this.
                _context.Append(new DestinationDeletedRecord(name));
            }
            catch
            {
                // Not journaled (a full disk, a fenced master): it stays, as the journal says; senders must not wait forever.
                destination.Restore();
                throw;
            }
            if (_destinations.TryRemove(KeyValuePair.Create(name, destination)))
            {
                Removed(destination);
            }
        }
        Publish(BrokerEventKind.DestinationDeleted, name.ToString());
        return true;
    }

    /// <summary>Admits a connection within <see cref="BrokerOptions.MaxConnections"/>; pair with <see cref="CloseConnection"/>.</summary>
    public bool TryOpenConnection() => Counters.TryOpenConnection(Options.MaxConnections);

    public void CloseConnection() => Counters.CloseConnection();

    public void Publish(BrokerEventKind kind, string detail)
    {
        var @event = new BrokerEvent(Clock.GetUtcNow(), Name, kind, detail);
        _events.Publish(@event);
        AdviseEvent(@event);
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    internal StoreTicket Append(StoreRecord record) => _context.Append(record);

    /// <summary>
    /// Completes when everything stored so far is durable; records that would ride the next commit (acknowledgements)
    /// are flushed now.
    /// </summary>
    public Task WhenStoredSoFar() => Store is null ? Task.CompletedTask : Store.WhenDurable(Store.LastSequence);

    internal long NowMs => _context.NowMs;

    /// <summary>
    /// Null when the message is new by its producer's id and sequence (then reserved: end it with
    /// <see cref="DuplicateFilter.Accepted"/> or <see cref="DuplicateFilter.Refused"/>); for a copy, a task that
    /// completes as the original's storage does.
    /// </summary>
    internal Task? AdmitSend(Message message, out string? producerId, out long producerSequence)
    {
        producerId = message.Header(DuplicateFilter.ProducerIdHeader);
        producerSequence = 0;
        if (producerId is null || !long.TryParse(message.Header(DuplicateFilter.ProducerSequenceHeader), out producerSequence))
        {
            producerId = null;
            return null;
        }
        if (Duplicates.Admit(producerId, producerSequence, _context.NowMs) is not { } original)
        {
            return null;
        }
        BrokerLog.DuplicateDropped(_logger, Name, producerId, producerSequence);
        // Held: durable with everything appended so far. Still being stored: as that SEND ends.
        return original.IsCompletedSuccessfully && original.Result.IsCompleted
            ? WhenStoredSoFar()
            : original.Unwrap();
    }

    private Destination GetOrCreate(DestinationName name, bool journal = true, bool enforceLimit = true)
    {
        if (_destinations.TryGetValue(name, out var existing))
        {
            return existing;
        }
        if (enforceLimit && _destinations.Count >= Options.MaxDestinations)
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
            if (journal)
            {
                _context.Append(new DestinationCreatedRecord(name));
            }
            BrokerLog.DestinationCreated(_logger, Name, name.ToString());
            Publish(BrokerEventKind.DestinationCreated, name.ToString());
            Added(destination);
        }
        return destination;
    }

    private void DeadLetter(string queue, Message message, string reason)
    {
        var dlq = DestinationName.Queue(BrokerContext.DeadLetterPrefix + queue);
        BrokerLog.DeadLettered(_logger, Name, message.MessageId, queue, reason);
        // A dead-letter queue is created whatever MaxDestinations says: refusing it would lose the message.
        var target = Enter(dlq, enforceLimit: false);
        try
        {
            target.Send(message with
            {
                Destination = dlq,
                Expires = 0,
                Headers = [.. message.Headers, new("original-destination", message.Destination.ToString()), new("dlq-reason", reason)],
            }, null, 0);
        }
        finally
        {
            target.Exit();
        }
    }

    private void EnsureStarted()
    {
        if (State != BrokerState.Started)
        {
            throw new BrokerException($"broker {Name} is {State.ToString().ToLowerInvariant()}");
        }
        if (_context.Quiesced)
        {
            throw new BrokerException($"broker {Name} is handing over to its partner");
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
