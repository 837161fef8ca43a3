using Broker.Core.Consumers;
using static Broker.Core.Tests.TestBroker;

namespace Broker.Core.Tests;

public class RedeliveryTests
{
    [Fact]
    public void Nack_ReturnsMessageAheadOfLaterMessages_MarkedRedelivered()
    {
        using var t = new TestBroker();
        var (consumer, sink) = t.Subscribe(Q("q"), prefetch: 1);
        t.SendMany(Q("q"), "1", "2", "3");
        var first = sink.Single();
        Assert.False(first.Redelivered);
        Assert.Equal(1, first.DeliveryCount);

        Assert.True(consumer.Nack(first.Tag));

        var again = sink.Last;
        Assert.Equal("1", TestMessages.Text(again.Message));
        Assert.True(again.Redelivered);
        Assert.Equal(2, again.DeliveryCount);
        Assert.NotEqual(first.Tag, again.Tag);
        Assert.Equal(first.Message.MessageId, again.Message.MessageId);
        Assert.Equal(["1", "2", "3"], t.BrowseBodies("q"));
    }

    [Fact]
    public void Nack_ClientMode_ReturnsEarlierDeliveriesTooInTheirOrder()
    {
        using var t = new TestBroker();
        var (consumer, sink) = t.Subscribe(Q("q"), AckMode.Client, prefetch: 2);
        t.SendMany(Q("q"), "1", "2", "3", "4");

        Assert.True(consumer.Nack(sink.ByBody("2").Tag));

        Assert.Equal(["1", "2", "1", "2"], sink.Bodies);
        Assert.All(sink.Deliveries.Skip(2), d => Assert.True(d.Redelivered));
        Assert.Equal(2, t.Stats(Q("q")).Pending);
    }

    [Fact]
    public void NackOne_ClientMode_ReturnsOnlyThatMessage()
    {
        using var t = new TestBroker();
        var (consumer, sink) = t.Subscribe(Q("q"), AckMode.Client, prefetch: 2);
        t.SendMany(Q("q"), "1", "2", "3");

        Assert.True(consumer.NackOne(sink.ByBody("2").Tag));

        Assert.Equal(["1", "2", "2"], sink.Bodies);
        Assert.True(consumer.IsInFlight(sink.Deliveries[0].Tag));
    }

    [Fact]
    public void Close_ReturnsUnackedMessagesInTheirPlace_ForTheNextConsumer()
    {
        using var t = new TestBroker();
        var (c1, s1) = t.Subscribe(Q("q"), prefetch: 2, owner: "c1");
        t.SendMany(Q("q"), "1", "2", "3", "4");
        Assert.True(c1.Ack(s1.ByBody("1").Tag));
        Assert.Equal(["1", "2", "3"], s1.Bodies);

        c1.Close();

        Assert.Equal(0, t.Stats(Q("q")).Consumers);
        Assert.Equal(3, t.Stats(Q("q")).Pending);
        var (_, s2) = t.Subscribe(Q("q"), owner: "c2");
        Assert.Equal(["2", "3", "4"], s2.Bodies);
        Assert.Equal([true, true, false], s2.Deliveries.Select(d => d.Redelivered));
        Assert.Equal([2, 2, 1], s2.Deliveries.Select(d => d.DeliveryCount));
    }

    [Fact]
    public void Close_Twice_IsHarmless()
    {
        using var t = new TestBroker();
        var (consumer, _) = t.Subscribe(Q("q"));
        t.SendMany(Q("q"), "1");

        consumer.Close();
        consumer.Close();

        Assert.Equal(1, t.Stats(Q("q")).Pending);
    }

    [Fact]
    public void Redelivery_BeyondMaxRedeliveries_MovesMessageToDlqWithHeaders()
    {
        using var t = new TestBroker(new BrokerOptions { MaxRedeliveries = 2 });
        var (consumer, sink) = t.Subscribe(Q("orders"), prefetch: 1);
        t.SendMany(Q("orders"), "poison", "next");

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal("poison", TestMessages.Text(sink.Last.Message));
            Assert.Equal(i + 1, sink.Last.DeliveryCount);
            Assert.True(consumer.Nack(sink.Last.Tag));
        }

        Assert.Equal(["poison", "poison", "poison", "next"], sink.Bodies);
        var dlq = t.Broker.Browse("DLQ.orders");
        var dead = Assert.Single(dlq);
        Assert.Equal("poison", TestMessages.Text(dead.Message));
        Assert.Equal(0, dead.DeliveryCount);
        Assert.Equal("/queue/orders", dead.Message.Header("original-destination"));
        Assert.Contains("3", dead.Message.Header("dlq-reason"));
        Assert.Equal(Q("DLQ.orders"), dead.Message.Destination);
        Assert.Equal(["next"], t.BrowseBodies("orders"));
    }

    [Fact]
    public void Redelivery_ConsumerCloseCountsTowardMaxRedeliveries()
    {
        using var t = new TestBroker(new BrokerOptions { MaxRedeliveries = 1 });
        t.SendMany(Q("q"), "m");

        t.Subscribe(Q("q"), owner: "a").Consumer.Close();
        t.Subscribe(Q("q"), owner: "b").Consumer.Close();

        Assert.Equal(0, t.Stats(Q("q")).Pending);
        Assert.Equal(["m"], t.BrowseBodies("DLQ.q"));
    }

    [Fact]
    public void Redelivery_DlqMessagesAreNotDeadLetteredAgain()
    {
        using var t = new TestBroker(new BrokerOptions { MaxRedeliveries = 0 });
        var (c, s) = t.Subscribe(Q("q"));
        t.SendMany(Q("q"), "m");
        Assert.True(c.Nack(s.Single().Tag));
        Assert.Equal(["m"], t.BrowseBodies("DLQ.q"));

        var (dlqConsumer, dlqSink) = t.Subscribe(Q("DLQ.q"), prefetch: 1);
        for (var i = 0; i < 5; i++)
        {
            Assert.True(dlqConsumer.Nack(dlqSink.Last.Tag));
        }

        Assert.Equal(6, dlqSink.Deliveries.Count);
        Assert.Equal(6, dlqSink.Last.DeliveryCount);
        Assert.Null(t.Broker.GetDestination(Q("DLQ.DLQ.q")));
        Assert.Equal(["m"], t.BrowseBodies("DLQ.q"));
    }

    [Fact]
    public void Expiry_MessageExpiredBeforeSubscribe_IsNeverDeliveredAndGoesToDlq()
    {
        using var t = new TestBroker();
        t.Send(Q("q"), "old", expires: t.Clock.NowMs + 1000);
        t.Send(Q("q"), "fresh");
        t.Clock.Advance(TimeSpan.FromSeconds(2));

        var (_, sink) = t.Subscribe(Q("q"));

        Assert.Equal(["fresh"], sink.Bodies);
        var dead = Assert.Single(t.Broker.Browse("DLQ.q"));
        Assert.Equal("old", TestMessages.Text(dead.Message));
        Assert.Equal("expired", dead.Message.Header("dlq-reason"));
        Assert.Equal("/queue/q", dead.Message.Header("original-destination"));
        Assert.Equal(0, dead.Message.Expires);
    }

    [Fact]
    public void Expiry_MessageSentAlreadyExpired_IsNeverDeliveredToActiveConsumer()
    {
        using var t = new TestBroker();
        var (_, sink) = t.Subscribe(Q("q"));

        t.Send(Q("q"), "dead", expires: t.Clock.NowMs - 1);
        t.Send(Q("q"), "alive", expires: t.Clock.NowMs + 60_000);

        Assert.Equal(["alive"], sink.Bodies);
        Assert.Equal(["dead"], t.BrowseBodies("DLQ.q"));
    }

    [Fact]
    public void Expiry_SweepMovesExpiredWaitingMessagesWithoutAConsumer()
    {
        using var t = new TestBroker();
        t.Send(Q("q"), "old", expires: t.Clock.NowMs + 1000);
        t.Send(Q("q"), "keep");
        t.Clock.Advance(TimeSpan.FromSeconds(5));

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (t.Broker.GetDestination(Q("DLQ.q")) is null && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(20);
        }

        Assert.Equal(["old"], t.BrowseBodies("DLQ.q"));
        Assert.Equal(["keep"], t.BrowseBodies("q"));
        Assert.Equal(1, t.Stats(Q("q")).Pending);
    }

    [Fact]
    public void Redelivery_DeadLetterAtMaxDestinations_DoesNotThrowOrLoseMessage()
    {
        using var t = new TestBroker(new BrokerOptions { MaxRedeliveries = 0, MaxDestinations = 1 });
        var (consumer, sink) = t.Subscribe(Q("q"));
        t.SendMany(Q("q"), "m");

        var nacked = consumer.Nack(sink.Single().Tag);

        Assert.True(nacked);
        Assert.Equal(1, t.Broker.Browse("q").Count + t.Broker.Browse("DLQ.q").Count);
    }
}
