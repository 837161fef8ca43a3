using Broker.Core.Consumers;
using static Broker.Core.Tests.TestBroker;

namespace Broker.Core.Tests;

public class SlowConsumerTests
{
    [Fact]
    public void SlowConsumer_Disconnect_ClosesSinkWithReason()
    {
        using var t = new TestBroker(new BrokerOptions { TopicPendingLimit = 3, SlowConsumerPolicy = SlowConsumerPolicy.Disconnect });
        var (consumer, sink) = t.Subscribe(T("ticks"), prefetch: 1, owner: "slow");
        var (_, fast) = t.Subscribe(T("ticks"), AckMode.Auto, owner: "fast");

        t.SendMany(T("ticks"), "1", "2", "3", "4");
        Assert.Empty(sink.Closures);

        t.SendMany(T("ticks"), "5");

        var reason = Assert.Single(sink.Closures);
        Assert.Contains("slow consumer", reason);
        Assert.True(consumer.IsClosed);
        Assert.Equal(["1"], sink.Bodies);
        Assert.Equal(["1", "2", "3", "4", "5"], fast.Bodies);
        Assert.Empty(fast.Closures);
    }

    [Fact]
    public void SlowConsumer_Disconnect_ReleasesEverythingOnceTheAdapterClosesTheConsumer()
    {
        using var t = new TestBroker(new BrokerOptions { TopicPendingLimit = 2, SlowConsumerPolicy = SlowConsumerPolicy.Disconnect });
        var (consumer, sink) = t.Subscribe(T("ticks"), prefetch: 1);
        t.SendMany(T("ticks"), "1", "2", "3", "4");
        Assert.Single(sink.Closures);

        consumer.Close();

        Assert.Equal(0, t.Stats(T("ticks")).Consumers);
        Assert.Equal(0, t.Broker.Memory.Used);
    }

    [Fact]
    public void SlowConsumer_Disconnect_EndsTheSubscriptionOnce()
    {
        using var t = new TestBroker(new BrokerOptions { TopicPendingLimit = 2, SlowConsumerPolicy = SlowConsumerPolicy.Disconnect });
        var (_, sink) = t.Subscribe(T("ticks"), prefetch: 1);

        t.SendMany(T("ticks"), Enumerable.Range(0, 20).Select(i => $"{i}").ToArray());

        Assert.Single(sink.Closures);
        Assert.Equal(0, t.Stats(T("ticks")).Consumers);
        Assert.Equal(0, t.Stats(T("ticks")).Pending);
    }

    [Fact]
    public void SlowConsumer_DropOldest_DropsOldestAndKeepsNewest()
    {
        using var t = new TestBroker(new BrokerOptions { TopicPendingLimit = 3, SlowConsumerPolicy = SlowConsumerPolicy.DropOldest });
        var (consumer, sink) = t.Subscribe(T("ticks"), prefetch: 1);

        t.SendMany(T("ticks"), "1", "2", "3", "4", "5", "6");

        Assert.Empty(sink.Closures);
        Assert.False(consumer.IsClosed);
        Assert.Equal(["1"], sink.Bodies);
        Assert.Equal(3, t.Stats(T("ticks")).Pending);

        Assert.True(consumer.Ack(sink.Last.Tag));
        Assert.True(consumer.Ack(sink.Last.Tag));
        Assert.True(consumer.Ack(sink.Last.Tag));

        Assert.Equal(["1", "4", "5", "6"], sink.Bodies);
    }

    [Fact]
    public void SlowConsumer_DropOldest_ReleasesMemoryOfDroppedMessages()
    {
        using var t = new TestBroker(new BrokerOptions { TopicPendingLimit = 1, SlowConsumerPolicy = SlowConsumerPolicy.DropOldest });
        var (consumer, sink) = t.Subscribe(T("ticks"), prefetch: 1);
        t.SendMany(T("ticks"), Enumerable.Range(0, 50).Select(i => $"{i}").ToArray());

        Assert.True(consumer.Ack(sink.Last.Tag));
        Assert.True(consumer.Ack(sink.Last.Tag));

        Assert.Equal(["0", "49"], sink.Bodies);
        Assert.Equal(0, t.Broker.Memory.Used);
    }

    [Fact]
    public void SlowConsumer_DropOldest_DropsOldestEvenWhenNewestHasHigherPriority()
    {
        using var t = new TestBroker(new BrokerOptions { TopicPendingLimit = 2, SlowConsumerPolicy = SlowConsumerPolicy.DropOldest });
        var (consumer, sink) = t.Subscribe(T("ticks"), prefetch: 1);
        t.Send(T("ticks"), "inflight");
        t.Send(T("ticks"), "old-1");
        t.Send(T("ticks"), "old-2");

        t.Send(T("ticks"), "urgent", priority: 9);

        Assert.True(consumer.Ack(sink.Last.Tag));
        Assert.Equal("urgent", TestMessages.Text(sink.Last.Message));
    }

    [Fact]
    public void SlowConsumer_DurableSubscriptionsHaveNoPendingLimit()
    {
        using var t = new TestBroker(new BrokerOptions { TopicPendingLimit = 2, SlowConsumerPolicy = SlowConsumerPolicy.Disconnect });
        var (consumer, sink) = t.Subscribe(T("ticks"), prefetch: 1, clientId: "app", durableName: "sub");

        t.SendMany(T("ticks"), "1", "2", "3", "4", "5");

        Assert.Empty(sink.Closures);
        Assert.False(consumer.IsClosed);
        Assert.Equal(4, t.Stats(T("ticks")).Pending);
    }
}
