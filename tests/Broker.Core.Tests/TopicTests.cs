using Broker.Core.Consumers;
using static Broker.Core.Tests.TestBroker;

namespace Broker.Core.Tests;

public class TopicTests
{
    [Fact]
    public void Topic_EveryCurrentSubscriberGetsEachMessage()
    {
        using var t = new TestBroker();
        var subscribers = Enumerable.Range(0, 3).Select(i => t.Subscribe(T("news"), AckMode.Auto, owner: $"c{i}")).ToList();

        t.SendMany(T("news"), "1", "2", "3");

        Assert.All(subscribers, s => Assert.Equal(["1", "2", "3"], s.Sink.Bodies));
        var stats = t.Stats(T("news"));
        Assert.Equal(3, stats.Consumers);
        Assert.Equal(3, stats.Enqueued);
        Assert.Equal(9, stats.InFlight);
    }

    [Fact]
    public void Topic_LaterSubscriberDoesNotGetEarlierMessages()
    {
        using var t = new TestBroker();
        var (_, early) = t.Subscribe(T("news"), owner: "early");
        t.SendMany(T("news"), "1", "2");

        var (_, late) = t.Subscribe(T("news"), owner: "late");
        t.SendMany(T("news"), "3");

        Assert.Equal(["1", "2", "3"], early.Bodies);
        Assert.Equal(["3"], late.Bodies);
    }

    [Fact]
    public void Topic_MessagesWithoutSubscribersAreNotKept()
    {
        using var t = new TestBroker();
        t.SendMany(T("news"), "1", "2");

        var (_, sink) = t.Subscribe(T("news"));

        Assert.Empty(sink.Deliveries);
        Assert.Equal(0, t.Broker.Memory.Used);
        Assert.Equal(2, t.Stats(T("news")).Enqueued);
    }

    [Fact]
    public void Topic_NonDurableSubscriptionRemovedWhenConsumerCloses()
    {
        using var t = new TestBroker();
        var (consumer, sink) = t.Subscribe(T("news"));
        t.SendMany(T("news"), "1");

        consumer.Close();
        t.SendMany(T("news"), "2");

        Assert.Equal(["1"], sink.Bodies);
        var stats = t.Stats(T("news"));
        Assert.Equal(0, stats.Consumers);
        Assert.Equal(0, stats.Pending);
        Assert.Equal(0, stats.InFlight);
        Assert.Equal(0, t.Broker.Memory.Used);
    }

    [Fact]
    public void Topic_DurableSubscriptionKeepsMessagesWhileClosed_AndDeliversOnResubscribe()
    {
        using var t = new TestBroker();
        var (first, firstSink) = t.Subscribe(T("news"), clientId: "app", durableName: "sub");
        t.SendMany(T("news"), "1");
        Assert.True(first.Ack(firstSink.Single().Tag));
        first.Close();

        t.SendMany(T("news"), "2", "3");

        var stats = t.Stats(T("news"));
        Assert.Equal(0, stats.Consumers);
        Assert.Equal(2, stats.Pending);
        Assert.True(t.Broker.Memory.Used > 0);

        var (_, again) = t.Subscribe(T("news"), clientId: "app", durableName: "sub");
        Assert.Equal(["2", "3"], again.Bodies);
        Assert.All(again.Deliveries, d => Assert.False(d.Redelivered));
    }

    [Fact]
    public void Topic_DurableSubscriptionReturnsUnackedMessagesOnClose()
    {
        using var t = new TestBroker();
        var (first, _) = t.Subscribe(T("news"), clientId: "app", durableName: "sub");
        t.SendMany(T("news"), "1", "2");
        first.Close();

        var (_, again) = t.Subscribe(T("news"), clientId: "app", durableName: "sub");

        Assert.Equal(["1", "2"], again.Bodies);
        Assert.All(again.Deliveries, d => Assert.True(d.Redelivered));
    }

    [Fact]
    public void Topic_DurableSubscriptionsAreKeyedByClientIdAndName()
    {
        using var t = new TestBroker();
        var (a, _) = t.Subscribe(T("news"), clientId: "app1", durableName: "sub", owner: "a");
        var (b, _) = t.Subscribe(T("news"), clientId: "app2", durableName: "sub", owner: "b");
        a.Close();
        b.Close();
        t.SendMany(T("news"), "1");

        Assert.Equal(2, t.Stats(T("news")).Pending);
    }

    [Fact]
    public void Topic_SecondActiveSubscriberToSameDurableSubscription_Throws()
    {
        using var t = new TestBroker();
        t.Subscribe(T("news"), clientId: "app", durableName: "sub", owner: "a");

        Assert.Throws<BrokerException>(() => t.Subscribe(T("news"), clientId: "app", durableName: "sub", owner: "b"));
        Assert.Equal(1, t.Stats(T("news")).Consumers);
    }

    [Fact]
    public void Topic_DurableNameWithoutClientId_IsNonDurable()
    {
        using var t = new TestBroker();
        var (consumer, _) = t.Subscribe(T("news"), durableName: "sub");
        consumer.Close();

        t.SendMany(T("news"), "1");

        Assert.Equal(0, t.Stats(T("news")).Pending);
    }

    [Fact]
    public void Topic_RemoveDurableSubscription_DropsItAndItsMessages()
    {
        using var t = new TestBroker();
        var (consumer, _) = t.Subscribe(T("news"), clientId: "app", durableName: "sub");
        consumer.Close();
        t.SendMany(T("news"), "1", "2");

        Assert.True(t.Broker.RemoveDurableSubscription(T("news"), "app", "sub"));
        Assert.False(t.Broker.RemoveDurableSubscription(T("news"), "app", "sub"));
        Assert.False(t.Broker.RemoveDurableSubscription(T("other"), "app", "sub"));

        Assert.Equal(0, t.Stats(T("news")).Pending);
        Assert.Equal(0, t.Broker.Memory.Used);
        t.SendMany(T("news"), "3");
        Assert.Equal(0, t.Stats(T("news")).Pending);
        var (_, fresh) = t.Subscribe(T("news"), clientId: "app", durableName: "sub");
        Assert.Empty(fresh.Deliveries);
    }

    [Fact]
    public void Topic_RemoveDurableSubscriptionWhileActive_ClosesItsConsumer()
    {
        using var t = new TestBroker();
        var (consumer, sink) = t.Subscribe(T("news"), clientId: "app", durableName: "sub");
        t.SendMany(T("news"), "1");

        Assert.True(t.Broker.RemoveDurableSubscription(T("news"), "app", "sub"));

        Assert.True(consumer.IsClosed);
        Assert.Single(sink.Closures);
        Assert.Equal(0, t.Broker.Memory.Used);
    }
}
