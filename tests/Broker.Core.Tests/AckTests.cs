using Broker.Core.Consumers;
using static Broker.Core.Tests.TestBroker;

namespace Broker.Core.Tests;

public class AckTests
{
    [Theory]
    [InlineData(AckMode.Auto)]
    [InlineData(AckMode.ClientIndividual)]
    public void Ack_AutoAndClientIndividual_AcknowledgeExactlyOneMessage(AckMode mode)
    {
        using var t = new TestBroker();
        var (consumer, sink) = t.Subscribe(Q("q"), mode);
        t.SendMany(Q("q"), "1", "2", "3");

        Assert.True(consumer.Ack(sink.ByBody("2").Tag));

        Assert.Equal(2, consumer.InFlightCount);
        Assert.True(consumer.IsInFlight(sink.ByBody("1").Tag));
        Assert.False(consumer.IsInFlight(sink.ByBody("2").Tag));
        Assert.True(consumer.IsInFlight(sink.ByBody("3").Tag));
        Assert.Equal(["1", "3"], t.BrowseBodies("q"));
    }

    [Fact]
    public void Ack_ClientMode_IsCumulativeOverEarlierDeliveries()
    {
        using var t = new TestBroker();
        var (consumer, sink) = t.Subscribe(Q("q"), AckMode.Client);
        t.SendMany(Q("q"), "1", "2", "3", "4");

        Assert.Equal([sink.ByBody("1").Tag, sink.ByBody("2").Tag, sink.ByBody("3").Tag], consumer.TagsAcknowledgedBy(sink.ByBody("3").Tag));
        Assert.True(consumer.Ack(sink.ByBody("3").Tag));

        Assert.Equal(1, consumer.InFlightCount);
        Assert.True(consumer.IsInFlight(sink.ByBody("4").Tag));
        Assert.Equal(["4"], t.BrowseBodies("q"));
        Assert.Equal(3, t.Stats(Q("q")).Dequeued);
    }

    [Fact]
    public void Ack_ClientMode_CumulativeAckCoversOnlyThatConsumersDeliveries()
    {
        using var t = new TestBroker();
        var (c1, s1) = t.Subscribe(Q("q"), AckMode.Client, owner: "c1");
        var (c2, s2) = t.Subscribe(Q("q"), AckMode.Client, owner: "c2");
        t.SendMany(Q("q"), "1", "2", "3", "4", "5");
        Assert.Equal(["1", "3", "5"], s1.Bodies);
        Assert.Equal(["2", "4"], s2.Bodies);

        Assert.True(c1.Ack(s1.ByBody("5").Tag));

        Assert.Equal(0, c1.InFlightCount);
        Assert.Equal(2, c2.InFlightCount);
        Assert.Equal(["2", "4"], t.BrowseBodies("q"));
    }

    [Theory]
    [InlineData(AckMode.Auto)]
    [InlineData(AckMode.Client)]
    [InlineData(AckMode.ClientIndividual)]
    public void Ack_UnknownOrAlreadyAckedTag_ReturnsFalse(AckMode mode)
    {
        using var t = new TestBroker();
        var (consumer, sink) = t.Subscribe(Q("q"), mode);
        t.SendMany(Q("q"), "1", "2");
        var tag = sink.ByBody("1").Tag;

        Assert.False(consumer.Ack(12345));
        Assert.True(consumer.Ack(tag));
        Assert.False(consumer.Ack(tag));
        Assert.False(consumer.Nack(tag));
        Assert.Empty(consumer.TagsAcknowledgedBy(tag));
        Assert.Equal(["2"], t.BrowseBodies("q"));
    }

    [Fact]
    public void Ack_TagOfAnotherConsumerIsUnknownToThisOne()
    {
        using var t = new TestBroker();
        var (c1, s1) = t.Subscribe(Q("q"), owner: "c1");
        var (c2, _) = t.Subscribe(Q("q"), owner: "c2");
        t.SendMany(Q("q"), "1");
        var tag = s1.Single().Tag;

        Assert.False(c2.Ack(tag + 100));
        Assert.True(c1.Ack(tag));
        Assert.False(c2.Ack(tag));
    }

    [Fact]
    public void Ack_AfterConsumerClosed_ReturnsFalse()
    {
        using var t = new TestBroker();
        var (consumer, sink) = t.Subscribe(Q("q"));
        t.SendMany(Q("q"), "1");

        consumer.Close();

        Assert.True(consumer.IsClosed);
        Assert.False(consumer.Ack(sink.Single().Tag));
        Assert.Equal(1, t.Stats(Q("q")).Pending);
    }
}
