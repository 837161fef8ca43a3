using Broker.Core.Consumers;
using static Broker.Core.Tests.TestBroker;

namespace Broker.Core.Tests;

public class QueueTests
{
    [Fact]
    public void Queue_EachMessageGoesToExactlyOneConsumer()
    {
        using var t = new TestBroker();
        var consumers = Enumerable.Range(0, 3).Select(i => t.Subscribe(Q("q"), owner: $"c{i}")).ToList();
        var bodies = Enumerable.Range(0, 30).Select(i => $"m{i}").ToArray();

        t.SendMany(Q("q"), bodies);

        var received = consumers.SelectMany(c => c.Sink.Bodies).ToList();
        Assert.Equal(bodies.Length, received.Count);
        Assert.Equal(bodies.Order(), received.Order());
    }

    [Fact]
    public void Queue_RoundRobinAcrossConsumers()
    {
        using var t = new TestBroker();
        var (_, a) = t.Subscribe(Q("q"), owner: "a");
        var (_, b) = t.Subscribe(Q("q"), owner: "b");
        var (_, c) = t.Subscribe(Q("q"), owner: "c");

        t.SendMany(Q("q"), "1", "2", "3", "4", "5", "6");

        Assert.Equal(["1", "4"], a.Bodies);
        Assert.Equal(["2", "5"], b.Bodies);
        Assert.Equal(["3", "6"], c.Bodies);
    }

    [Fact]
    public void Queue_RoundRobinSkipsConsumerWhosePrefetchIsFull()
    {
        using var t = new TestBroker();
        var (_, a) = t.Subscribe(Q("q"), prefetch: 1, owner: "a");
        var (_, b) = t.Subscribe(Q("q"), prefetch: 10, owner: "b");

        t.SendMany(Q("q"), "1", "2", "3", "4");

        Assert.Equal(["1"], a.Bodies);
        Assert.Equal(["2", "3", "4"], b.Bodies);
    }

    [Fact]
    public void Queue_PrefetchLimitsInFlightPerConsumer_AndRefillsOnAck()
    {
        using var t = new TestBroker();
        var (consumer, sink) = t.Subscribe(Q("q"), prefetch: 2);

        t.SendMany(Q("q"), "1", "2", "3", "4", "5");

        Assert.Equal(["1", "2"], sink.Bodies);
        Assert.Equal(2, consumer.InFlightCount);
        Assert.Equal(3, t.Stats(Q("q")).Pending);

        Assert.True(consumer.Ack(sink.ByBody("1").Tag));

        Assert.Equal(["1", "2", "3"], sink.Bodies);
        Assert.Equal(2, consumer.InFlightCount);
        Assert.Equal(2, t.Stats(Q("q")).Pending);

        Assert.True(consumer.Ack(sink.ByBody("2").Tag));
        Assert.True(consumer.Ack(sink.ByBody("3").Tag));

        Assert.Equal(["1", "2", "3", "4", "5"], sink.Bodies);
        Assert.Equal(0, t.Stats(Q("q")).Pending);
    }

    [Fact]
    public void Queue_PriorityHigherFirst_ThenArrivalOrder()
    {
        using var t = new TestBroker();
        t.Send(Q("q"), "p4-a", priority: 4);
        t.Send(Q("q"), "p0-a", priority: 0);
        t.Send(Q("q"), "p9-a", priority: 9);
        t.Send(Q("q"), "p4-b", priority: 4);
        t.Send(Q("q"), "p9-b", priority: 9);
        t.Send(Q("q"), "p0-b", priority: 0);
        t.Send(Q("q"), "p5-a", priority: 5);

        var (_, sink) = t.Subscribe(Q("q"));

        Assert.Equal(["p9-a", "p9-b", "p5-a", "p4-a", "p4-b", "p0-a", "p0-b"], sink.Bodies);
    }

    [Fact]
    public void Queue_HigherPriorityArrivingLaterOvertakesWaitingMessages()
    {
        using var t = new TestBroker();
        var (consumer, sink) = t.Subscribe(Q("q"), prefetch: 1);
        t.Send(Q("q"), "first", priority: 4);
        t.Send(Q("q"), "low", priority: 1);
        t.Send(Q("q"), "high", priority: 8);

        Assert.True(consumer.Ack(sink.ByBody("first").Tag));
        Assert.True(consumer.Ack(sink.ByBody("high").Tag));

        Assert.Equal(["first", "high", "low"], sink.Bodies);
    }

    [Fact]
    public void Queue_MessagesWaitUntilAConsumerSubscribes()
    {
        using var t = new TestBroker();
        t.SendMany(Q("q"), "1", "2", "3");

        Assert.Equal(3, t.Stats(Q("q")).Pending);

        var (_, sink) = t.Subscribe(Q("q"));

        Assert.Equal(["1", "2", "3"], sink.Bodies);
        Assert.All(sink.Deliveries, d => Assert.False(d.Redelivered));
        Assert.All(sink.Deliveries, d => Assert.Equal(1, d.DeliveryCount));
    }

    [Fact]
    public void Queue_SubscribeWithPrefetchOutOfRange_Throws()
    {
        using var t = new TestBroker(new BrokerOptions { MaxPrefetch = 10 });

        Assert.Throws<BrokerException>(() => t.Subscribe(Q("q"), prefetch: 0));
        Assert.Throws<BrokerException>(() => t.Subscribe(Q("q"), prefetch: 11));
    }

    [Fact]
    public void Queue_RoundRobinCounterOverflow_KeepsDispatching()
    {
        using var t = new TestBroker();
        var (_, a) = t.Subscribe(Q("q"), owner: "a");
        var (_, b) = t.Subscribe(Q("q"), owner: "b");
        var (_, c) = t.Subscribe(Q("q"), owner: "c");
        var queue = ((Destinations.QueueDestination)GetDestinations(t)[Q("q")]).Queue;
        typeof(Destinations.MessageQueue)
            .GetField("_nextConsumer", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)!
            .SetValue(queue, int.MaxValue);

        t.SendMany(Q("q"), "1", "2", "3");

        Assert.Equal(3, a.Bodies.Count + b.Bodies.Count + c.Bodies.Count);
    }

    private static System.Collections.Concurrent.ConcurrentDictionary<Messages.DestinationName, Destinations.Destination> GetDestinations(TestBroker t) =>
        (System.Collections.Concurrent.ConcurrentDictionary<Messages.DestinationName, Destinations.Destination>)typeof(MessageBroker)
            .GetField("_destinations", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)!
            .GetValue(t.Broker)!;
}
