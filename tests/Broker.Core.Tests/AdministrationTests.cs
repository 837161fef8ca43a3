using Broker.Core.Consumers;
using Broker.Core.Destinations;
using Broker.Core.Messages;
using static Broker.Core.Tests.TestBroker;

namespace Broker.Core.Tests;

public class AdministrationTests
{
    [Fact]
    public void Statistics_QueueCountsPendingConsumersEnqueuedDequeuedInFlight()
    {
        using var t = new TestBroker();
        var (consumer, sink) = t.Subscribe(Q("q"), prefetch: 2);
        t.SendMany(Q("q"), "1", "2", "3", "4", "5");
        Assert.True(consumer.Ack(sink.ByBody("1").Tag));

        Assert.Equal(new DestinationStatistics("q", DestinationKind.Queue, Pending: 2, Consumers: 1, Enqueued: 5, Dequeued: 1, InFlight: 2),
            t.Stats(Q("q")));
    }

    [Fact]
    public void Statistics_GetDestinationsListsQueuesThenTopicsByName()
    {
        using var t = new TestBroker();
        t.SendMany(T("t1"), "x");
        t.SendMany(Q("b"), "x");
        t.SendMany(Q("a"), "x", "y");

        var all = t.Broker.GetDestinations();

        Assert.Equal([("a", DestinationKind.Queue), ("b", DestinationKind.Queue), ("t1", DestinationKind.Topic)],
            all.Select(s => (s.Name, s.Kind)));
        Assert.Equal(2, all[0].Pending);
        Assert.Null(t.Broker.GetDestination(Q("missing")));
    }

    [Fact]
    public void Browse_ReturnsWaitingAndInFlightInDispatchOrder_ConsumingNothing()
    {
        using var t = new TestBroker();
        var (consumer, sink) = t.Subscribe(Q("q"), prefetch: 2);
        t.Send(Q("q"), "a");
        t.Send(Q("q"), "b");
        t.Send(Q("q"), "c", priority: 9);
        t.Send(Q("q"), "d", priority: 0);
        t.Send(Q("q"), "e");

        var browsed = t.Broker.Browse("q");

        Assert.Equal(["c", "a", "b", "e", "d"], browsed.Select(m => TestMessages.Text(m.Message)));
        Assert.Equal([0, 1, 1, 0, 0], browsed.Select(m => m.DeliveryCount));
        Assert.Equal(5, t.Broker.Browse("q").Count);
        Assert.Equal(3, t.Stats(Q("q")).Pending);
        Assert.Equal(2, consumer.InFlightCount);
        Assert.Equal(["a", "b"], sink.Bodies);
        Assert.Empty(t.Broker.Browse("missing"));
    }

    [Fact]
    public void Purge_RemovesWaitingMessagesOnly()
    {
        using var t = new TestBroker();
        var (consumer, sink) = t.Subscribe(Q("q"), prefetch: 1);
        t.SendMany(Q("q"), "1", "2", "3");

        Assert.Equal(2, t.Broker.Purge("q"));

        Assert.Equal(["1"], t.BrowseBodies("q"));
        Assert.Equal(0, t.Stats(Q("q")).Pending);
        Assert.True(consumer.Ack(sink.Single().Tag));
        Assert.Equal(0, t.Broker.Memory.Used);
        Assert.Equal(0, t.Broker.Purge("missing"));
    }

    [Fact]
    public void Purge_WithMax_RemovesThatManyOldestFirst()
    {
        using var t = new TestBroker();
        t.SendMany(Q("q"), "1", "2", "3", "4", "5");

        Assert.Equal(2, t.Broker.Purge("q", max: 2));
        Assert.Equal(["3", "4", "5"], t.BrowseBodies("q"));
        Assert.Equal(3, t.Broker.Purge("q", max: 10));
        Assert.Equal(0, t.Stats(Q("q")).Pending);
        Assert.Equal(0, t.Broker.Memory.Used);
    }

    [Fact]
    public void DeleteDestination_ClosesConsumersAndDropsMessages()
    {
        using var t = new TestBroker();
        var (consumer, sink) = t.Subscribe(Q("q"), prefetch: 1);
        t.SendMany(Q("q"), "1", "2");

        Assert.True(t.Broker.DeleteDestination(Q("q")));

        Assert.True(consumer.IsClosed);
        Assert.Contains("deleted", Assert.Single(sink.Closures));
        Assert.Null(t.Broker.GetDestination(Q("q")));
        Assert.Equal(0, t.Broker.Memory.Used);
        Assert.False(t.Broker.DeleteDestination(Q("q")));
        t.SendMany(Q("q"), "3");
        Assert.Equal(["3"], t.BrowseBodies("q"));
    }

    [Fact]
    public void DeleteDestination_TopicClosesSubscribers()
    {
        using var t = new TestBroker();
        var (consumer, sink) = t.Subscribe(T("news"));
        t.SendMany(T("news"), "1");

        Assert.True(t.Broker.DeleteDestination(T("news")));

        Assert.True(consumer.IsClosed);
        Assert.Single(sink.Closures);
        Assert.Equal(0, t.Broker.Memory.Used);
    }

    [Fact]
    public void DeleteDestination_TopicWithDurableSubscription_ReleasesMemory()
    {
        using var t = new TestBroker();
        var (consumer, _) = t.Subscribe(T("news"), clientId: "app", durableName: "sub");
        consumer.Close();
        t.SendMany(T("news"), "1", "2");

        Assert.True(t.Broker.DeleteDestination(T("news")));

        Assert.Equal(0, t.Broker.Memory.Used);
    }

    [Fact]
    public void MaxDestinations_RefusesNewDestinationButNotExistingOnes()
    {
        using var t = new TestBroker(new BrokerOptions { MaxDestinations = 2 });
        t.SendMany(Q("a"), "1");
        t.SendMany(T("b"), "1");

        Assert.Throws<BrokerException>(() => t.Send(Q("c"), "1"));
        Assert.Throws<BrokerException>(() => t.Subscribe(T("d")));
        t.SendMany(Q("a"), "2");
        Assert.Equal(2, t.Broker.GetDestinations().Count);

        Assert.True(t.Broker.DeleteDestination(T("b")));
        t.SendMany(Q("c"), "1");
        Assert.Equal(2, t.Broker.GetDestinations().Count);
    }

    [Fact]
    public void MaxConnections_TryOpenConnectionRefusesBeyondLimit()
    {
        using var t = new TestBroker(new BrokerOptions { MaxConnections = 2 });

        Assert.True(t.Broker.TryOpenConnection());
        Assert.True(t.Broker.TryOpenConnection());
        Assert.False(t.Broker.TryOpenConnection());
        Assert.Equal(2, t.Broker.Counters.Connections);

        t.Broker.CloseConnection();

        Assert.True(t.Broker.TryOpenConnection());
        Assert.Equal(3, t.Broker.Counters.ConnectionsTotal);
    }

    [Fact]
    public void Memory_UsedGrowsOnEnqueue_AndReturnsToZeroAfterAcks()
    {
        using var t = new TestBroker();
        var m1 = t.Send(Q("q"), "hello");
        Assert.Equal(m1.Size, t.Broker.Memory.Used);
        var m2 = t.Send(Q("q"), new string('x', 1000));
        Assert.Equal(m1.Size + m2.Size, t.Broker.Memory.Used);

        var (consumer, sink) = t.Subscribe(Q("q"));
        Assert.Equal(m1.Size + m2.Size, t.Broker.Memory.Used);

        Assert.True(consumer.Ack(sink.Deliveries[0].Tag));
        Assert.Equal(m2.Size, t.Broker.Memory.Used);
        Assert.True(consumer.Ack(sink.Deliveries[1].Tag));
        Assert.Equal(0, t.Broker.Memory.Used);
    }

    [Fact]
    public void Memory_TopicCountsEachSubscriptionsCopy()
    {
        using var t = new TestBroker();
        var (c1, s1) = t.Subscribe(T("news"), owner: "a");
        var (c2, s2) = t.Subscribe(T("news"), owner: "b");

        var m = t.Send(T("news"), "x");

        Assert.Equal(2 * m.Size, t.Broker.Memory.Used);
        Assert.True(c1.Ack(s1.Single().Tag));
        Assert.True(c2.Ack(s2.Single().Tag));
        Assert.Equal(0, t.Broker.Memory.Used);
    }

    [Fact]
    public void Counters_CountMessagesInAndOut()
    {
        using var t = new TestBroker();
        t.Subscribe(T("news"), owner: "a");
        t.Subscribe(T("news"), owner: "b");

        t.SendMany(T("news"), "1", "2");

        Assert.Equal(2, t.Broker.Counters.MessagesIn);
        Assert.Equal(4, t.Broker.Counters.MessagesOut);
    }

    [Fact]
    public async Task Stop_ClosesEverySubscription_AndMessagesStay()
    {
        var t = new TestBroker();
        var (consumer, sink) = t.Subscribe(Q("q"), prefetch: 1);
        t.SendMany(Q("q"), "1", "2");

        await t.Broker.StopAsync();

        Assert.Equal(BrokerState.Stopped, t.Broker.State);
        Assert.True(consumer.IsClosed);
        Assert.Single(sink.Closures);
        Assert.Equal(2, t.Stats(Q("q")).Pending);
        Assert.Throws<BrokerException>(() => t.Subscribe(Q("q")));
    }
}
