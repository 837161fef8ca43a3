using Broker.Core.Events;
using Broker.Core.Messages;
using Broker.Core.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using static Broker.Core.Tests.TestBroker;

namespace Broker.Core.Tests;

/// <summary>
/// A destination with no consumer, no message and no durable subscription for <c>InactiveDestinationTimeout</c>
/// is removed by the sweep, journaled, so a restart or a slave agrees; one that holds anything never is.
/// The tests run the sweep themselves (<see cref="MessageBroker.SweepNow"/>) against a hand-moved clock.
/// </summary>
public class InactiveDestinationTests
{
    private static readonly TimeSpan Timeout = new BrokerOptions().InactiveDestinationTimeout;

    private static TestBroker Broker(BrokerOptions? options = null, IMessageStore? store = null) =>
        new(options ?? new BrokerOptions(), store: store, manualSweep: true);

    /// <summary>A sweep looks at the broker now, the clock moves on by <paramref name="time"/>, a sweep looks again.</summary>
    private static void IdleFor(TestBroker t, TimeSpan time)
    {
        t.Broker.SweepNow();
        t.Clock.Advance(time);
        t.Broker.SweepNow();
    }

    private static Message Persistent(TestBroker t, DestinationName destination, string body) =>
        TestMessages.Create(t.Broker, destination, body) with { Persistent = true };

    private static string Key(DestinationKind kind, string name) => $"{kind}:{name}";

    /// <summary>The broker's destinations, sorted.</summary>
    private static string[] Live(MessageBroker broker) => Sorted(broker.GetDestinations().Select(d => Key(d.Kind, d.Name)));

    /// <summary>The destinations a restart, or a slave, would hold, sorted.</summary>
    private static string[] Journaled(RecoveryState state) => Sorted(state.Destinations.Select(d => Key(d.Kind, d.Name)));

    private static string[] Sorted(IEnumerable<string> keys) => [.. keys.Order(StringComparer.Ordinal)];

    private static IReadOnlyList<BrokerEvent> Removals(TestBroker t) =>
        [.. t.Events.Since(null).Where(e => e.Kind == BrokerEventKind.InactiveDestinationsRemoved)];

    [Fact]
    public void VirtualTopicConsumerQueue_StaysWhileIdle_SoItKeepsCollecting()
    {
        using var t = Broker();
        t.Subscribe(Q("Consumer.A.VirtualTopic.Orders"), owner: "a").Consumer.Close();
        t.Send(Q("plain"), "m");
        t.Broker.Purge("plain");

        IdleFor(t, Timeout + TimeSpan.FromSeconds(1));
        t.Send(T("VirtualTopic.Orders"), "while the consumers are away");

        Assert.Null(t.Broker.GetDestination(Q("plain")));
        Assert.Equal(["while the consumers are away"], t.BrowseBodies("Consumer.A.VirtualTopic.Orders"));
    }

    [Fact]
    public void WildcardTopic_RemovedOnceUnsubscribed_AndANewOneWorks()
    {
        using var t = Broker();
        t.Subscribe(T("news.>"), owner: "a").Consumer.Close();

        IdleFor(t, Timeout + TimeSpan.FromSeconds(1));
        Assert.Null(t.Broker.GetDestination(T("news.>")));
        Assert.Equal((0, 0), t.Broker.RouteIndexSizes);
        t.Send(T("news.sport"), "nobody listens");
        var (_, sink) = t.Subscribe(T("news.>"), owner: "b");
        t.Send(T("news.sport"), "goal");

        Assert.Equal(["goal"], sink.Bodies);
        Assert.Equal((1, 0), t.Broker.RouteIndexSizes);
    }

    [Fact]
    public void EmptyQueue_RemovedOnlyOnceInactiveForTheTimeout()
    {
        using var t = Broker();
        t.Send(Q("q"), "m");
        t.Broker.Purge("q");

        IdleFor(t, Timeout - TimeSpan.FromSeconds(1));
        Assert.NotNull(t.Broker.GetDestination(Q("q")));

        t.Clock.Advance(TimeSpan.FromSeconds(1));
        t.Broker.SweepNow();
        Assert.Null(t.Broker.GetDestination(Q("q")));
        Assert.StartsWith("1 destinations removed", Assert.Single(Removals(t)).Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void DestinationsHoldingAnything_AreNeverRemoved()
    {
        // A memory limit of one byte: the first message fills it, so the persistent one after it is paged out.
        using var t = Broker(new BrokerOptions { MemoryLimit = 1 }, new MemoryStore());
        t.Send(Q("waiting"), "m");
        t.Broker.Send(Persistent(t, Q("paged"), "body on disk only"));
        var (_, inFlight) = t.Subscribe(Q("in-flight"), prefetch: 1);
        t.Send(Q("in-flight"), "not acknowledged");
        t.Subscribe(Q("consumer"));
        t.Subscribe(T("subscribed"));
        var (offline, _) = t.Subscribe(T("durable"), clientId: "c1", durableName: "s1");
        offline.Close();
        var (returned, returnedSink) = t.Subscribe(Q("returned"));
        t.Send(Q("returned"), "back in the queue");
        returned.Close();

        IdleFor(t, Timeout * 10);

        Assert.Equal(Sorted(["Queue:waiting", "Queue:paged", "Queue:in-flight", "Queue:consumer", "Topic:subscribed", "Topic:durable", "Queue:returned"]),
            Live(t.Broker));
        Assert.Equal(0, t.Stats(Q("in-flight")).Pending);
        Assert.Single(inFlight.Deliveries);
        Assert.Single(returnedSink.Deliveries);
        Assert.Equal(["body on disk only"], t.BrowseBodies("paged"));
        Assert.Empty(Removals(t));
    }

    [Fact]
    public void TopicWithoutSubscribers_RemovedOnceItsDurableSubscriptionIsDeleted()
    {
        using var t = Broker();
        var (durable, _) = t.Subscribe(T("t"), clientId: "c1", durableName: "s1");
        durable.Close();
        IdleFor(t, Timeout * 2);
        Assert.NotNull(t.Broker.GetDestination(T("t")));

        Assert.True(t.Broker.RemoveDurableSubscription(T("t"), "c1", "s1"));
        IdleFor(t, Timeout);

        Assert.Null(t.Broker.GetDestination(T("t")));
    }

    [Fact]
    public void DeadLetterQueue_FollowsTheSameRule()
    {
        using var t = Broker(new BrokerOptions { MaxRedeliveries = 0 });
        var (consumer, sink) = t.Subscribe(Q("q"));
        t.Send(Q("q"), "poison");
        consumer.Nack(sink.Single().Tag);
        consumer.Close();
        IdleFor(t, Timeout);
        Assert.Equal(["Queue:DLQ.q"], Live(t.Broker));

        t.Broker.Purge("DLQ.q");
        IdleFor(t, Timeout);

        Assert.Empty(Live(t.Broker));
    }

    [Fact]
    public void UseBetweenSweeps_StartsTheTimeAgain()
    {
        using var t = Broker();
        t.Send(T("t"), "nobody listens");
        IdleFor(t, Timeout - TimeSpan.FromSeconds(10));

        t.Send(T("t"), "still nobody");
        t.Clock.Advance(TimeSpan.FromSeconds(20));
        t.Broker.SweepNow();
        Assert.NotNull(t.Broker.GetDestination(T("t")));

        t.Clock.Advance(Timeout);
        t.Broker.SweepNow();
        Assert.Null(t.Broker.GetDestination(T("t")));
    }

    [Fact]
    public void ZeroTimeout_KeepsEveryDestination()
    {
        using var t = Broker(new BrokerOptions { InactiveDestinationTimeout = TimeSpan.Zero });
        t.Send(T("t"), "x");

        IdleFor(t, TimeSpan.FromDays(30));

        Assert.NotNull(t.Broker.GetDestination(T("t")));
    }

    [Fact]
    public void MaxDestinationsReached_NewDestinationsAcceptedOnceInactiveOnesAreRemoved()
    {
        using var t = Broker(new BrokerOptions { MaxDestinations = 3 });
        t.SendMany(T("a"), "x");
        t.SendMany(T("b"), "x");
        t.SendMany(T("c"), "x");
        Assert.Throws<BrokerException>(() => t.Send(T("d"), "x"));

        IdleFor(t, Timeout);
        t.Send(T("d"), "x");

        Assert.Equal(["Topic:d"], Live(t.Broker));
    }

    [Fact]
    public void ManyRemoved_OneEventForTheSweepNotOnePerDestination()
    {
        using var t = Broker();
        for (var i = 0; i < 1000; i++)
        {
            t.Send(T($"t{i}"), "x");
        }

        IdleFor(t, Timeout);

        Assert.Empty(Live(t.Broker));
        Assert.StartsWith("1000 destinations removed", Assert.Single(Removals(t)).Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(t.Events.Since(null), e => e.Kind == BrokerEventKind.DestinationDeleted);
    }

    [Fact]
    public async Task Quiesced_NothingRemovedUntilResumed()
    {
        using var t = Broker();
        t.Send(T("t"), "x");
        t.Broker.SweepNow();
        await t.Broker.QuiesceAsync("switchover", CancellationToken.None);

        t.Clock.Advance(Timeout);
        t.Broker.SweepNow();
        Assert.NotNull(t.Broker.GetDestination(T("t")));

        t.Broker.Resume();
        t.Broker.SweepNow();
        Assert.Null(t.Broker.GetDestination(T("t")));
    }

    [Fact]
    public void Removal_IsJournaled_SoRecoveryAndTheSlaveAgree()
    {
        var store = new MemoryStore();
        using var t = Broker(store: store);
        t.Broker.Send(Persistent(t, Q("gone"), "consumed"));
        t.Broker.Purge("gone");
        t.Send(T("gone"), "nobody listens");
        t.Broker.Send(Persistent(t, Q("kept"), "stays"));
        var (durable, _) = t.Subscribe(T("durable"), clientId: "c1", durableName: "s1");
        durable.Close();
        Assert.Equal(Live(t.Broker), Journaled(store.Fold()));

        IdleFor(t, Timeout);
        t.Send(Q("gone"), "created again after its removal");

        // RecoveryState is what a restart replays into and what a slave folds its master's records into.
        var state = store.Fold();
        Assert.Equal(Sorted(["Queue:kept", "Topic:durable", "Queue:gone"]), Journaled(state));
        Assert.Equal(Live(t.Broker), Journaled(state));
        Assert.Contains(store.Records, r => r.Record is DestinationDeletedRecord { Destination: var d } && d == T("gone"));
        var restarted = new MessageBroker("b1", new BrokerOptions(), new EventLog(), NullLogger.Instance, new ManualClock());
        restarted.Recover(new MemoryStore(), state);
        Assert.Equal(Live(t.Broker), Live(restarted));
    }

    [Fact]
    public void RecoveredEmptyDestination_WaitsTheWholeTimeoutAgain()
    {
        var store = new MemoryStore();
        using (var before = Broker(store: store))
        {
            before.Send(T("t"), "x");
            before.Broker.SweepNow();
            before.Clock.Advance(Timeout - TimeSpan.FromSeconds(1));
        }
        var clock = new ManualClock { FreezeTimers = true };
        clock.Advance(Timeout - TimeSpan.FromSeconds(1));
        var broker = new MessageBroker("b1", new BrokerOptions(), new EventLog(), NullLogger.Instance, clock);
        broker.Recover(store, store.Fold());
        broker.Start();

        broker.SweepNow();
        clock.Advance(TimeSpan.FromSeconds(2));
        broker.SweepNow();
        Assert.NotNull(broker.GetDestination(T("t")));

        clock.Advance(Timeout);
        broker.SweepNow();
        Assert.Null(broker.GetDestination(T("t")));
    }

    /// <summary>
    /// Sends (plain and in transactions) to destinations the sweep is removing at that moment: each message is
    /// found where it was sent, and the journal, replayed, holds the same destinations and messages as the broker.
    /// </summary>
    [Fact]
    public void SendsRacingRemoval_LoseNothing_AndTheJournalAgrees()
    {
        const int queues = 64;
        const int rounds = 300;
        var store = new MemoryStore();
        using var t = Broker(new BrokerOptions { InactiveDestinationTimeout = TimeSpan.FromMilliseconds(1) }, store);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var stop = 0;
        var sweeps = 0;
        // Each sweep comes a whole timeout after the last: a destination seen empty and unused by two sweeps goes.
        var sweeper = new Thread(() =>
        {
            while (Volatile.Read(ref stop) == 0)
            {
                t.Clock.Advance(TimeSpan.FromSeconds(1));
                t.Broker.SweepNow();
                Interlocked.Increment(ref sweeps);
            }
        });
        sweeper.Start();
        var removedBefore = 0;
        for (var round = 0; round < rounds; round++)
        {
            timeout.Token.ThrowIfCancellationRequested();
            var sent = round;
            Parallel.For(0, queues, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i =>
            {
                var message = Persistent(t, Q($"q{i}"), $"{sent}:{i}");
                if (i % 2 == 0)
                {
                    t.Broker.Send(message);
                    return;
                }
                var transaction = t.Broker.BeginTransaction($"tx-{sent}-{i}");
                transaction.Send(message);
                transaction.Commit("user");
            });
            for (var i = 0; i < queues; i++)
            {
                Assert.Equal([$"{round}:{i}"], t.BrowseBodies($"q{i}"));
                if (round < rounds - 1)
                {
                    // Empty again: the sweep may remove it while the next round sends to it.
                    t.Broker.Purge($"q{i}");
                }
            }
            removedBefore = round == rounds / 2 ? Removed(store) : removedBefore;
        }
        Volatile.Write(ref stop, 1);
        sweeper.Join();

        Assert.True(Removed(store) > removedBefore, $"the sweep removed nothing in the second half ({sweeps} sweeps)");
        var state = store.Fold();
        Assert.Equal(Live(t.Broker), Journaled(state));
        Assert.Equal(queues, state.MessageCount);
        Assert.All(state.Queues, q => Assert.Equal([$"{rounds - 1}:{q.Key.Queue[1..]}"],
            q.Messages.Values.Select(m => TestMessages.Text(m.Message))));
    }

    [Fact]
    public void ManyAtOnce_RemovedInSlicesOfMaxRemovalsPerSweep()
    {
        const int count = (2 * MessageBroker.MaxRemovalsPerSweep) + 500;
        using var t = Broker(new BrokerOptions { MaxDestinations = count });
        for (var i = 0; i < count; i++)
        {
            t.Send(T($"t{i}"), "x");
        }

        IdleFor(t, Timeout);
        Assert.Equal(count - MessageBroker.MaxRemovalsPerSweep, Live(t.Broker).Length);
        t.Broker.SweepNow();
        t.Broker.SweepNow();

        Assert.Empty(Live(t.Broker));
        Assert.Equal([MessageBroker.MaxRemovalsPerSweep, MessageBroker.MaxRemovalsPerSweep, 500],
            Removals(t).Select(e => int.Parse(e.Detail.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture)));
    }

    /// <summary>
    /// An operator's delete takes the same care: a send racing it lands in the old queue (and is deleted with it,
    /// journaled) or in a new one. So every journaled message was either journaled as removed or is in the broker.
    /// </summary>
    [Fact]
    public void OperatorDeleteRacingSends_EveryMessageRemovedOrStillThere()
    {
        var store = new MemoryStore();
        using var t = Broker(store: store);
        var stop = 0;
        var deletes = 0;
        var deleter = new Thread(() =>
        {
            while (Volatile.Read(ref stop) == 0)
            {
                deletes += t.Broker.DeleteDestination(Q("q")) ? 1 : 0;
            }
        });
        deleter.Start();
        // On a busy machine the deleter thread may barely run during 50,000 sends: send on until enough deletes raced.
        for (var i = 0; i < 50_000 || (Volatile.Read(ref deletes) <= 10 && i < 2_000_000); i++)
        {
            t.Broker.Send(Persistent(t, Q("q"), $"{i}"));
        }
        Volatile.Write(ref stop, 1);
        deleter.Join();

        var removed = store.Records.Select(r => r.Record).OfType<MessageRemovedRecord>().Select(r => r.MessageSequence).ToHashSet();
        var unaccounted = store.Records.Where(r => r.Record is MessageAddedRecord && !removed.Contains(r.Sequence))
            .Select(r => TestMessages.Text(((MessageAddedRecord)r.Record).Message));
        Assert.True(deletes > 10, $"only {deletes} deletes raced the sends");
        Assert.Equal(Sorted(t.BrowseBodies("q")), Sorted(unaccounted));
        Assert.Equal(Live(t.Broker), Journaled(store.Fold()));
    }

    private static int Removed(MemoryStore store) => store.Records.Count(r => r.Record is DestinationDeletedRecord);
}
