using Broker.Core.Consumers;
using static Broker.Core.Tests.TestBroker;

namespace Broker.Core.Tests;

/// <summary>Message groups, exclusive consumers and consumer priority (ActiveMQ's JMSXGroupID, activemq.exclusive, activemq.priority).</summary>
public class SelectiveDispatchTests
{
    private static (string, string) Group(string id) => ("JMSXGroupID", id);

    [Fact]
    public void Group_AllItsMessagesGoToOneConsumer_OtherGroupsSpread()
    {
        using var t = new TestBroker();
        var (_, a) = t.Subscribe(Q("q"), owner: "a");
        var (_, b) = t.Subscribe(Q("q"), owner: "b");

        for (var i = 0; i < 10; i++)
        {
            t.SendWith(Q("q"), $"x{i}", Group("X"));
            t.SendWith(Q("q"), $"y{i}", Group("Y"));
        }

        var (xs, ys) = a.Bodies[0].StartsWith('x') ? (a, b) : (b, a);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"x{i}"), xs.Bodies);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"y{i}"), ys.Bodies);
    }

    [Fact]
    public void Group_FirstMessageToAConsumerIsMarked()
    {
        using var t = new TestBroker();
        var (_, a) = t.Subscribe(Q("q"));

        t.SendWith(Q("q"), "1", Group("G"));
        t.SendWith(Q("q"), "2", Group("G"));

        Assert.Equal("true", a.Deliveries[0].Message.Header("JMSXGroupFirstForConsumer"));
        Assert.Null(a.Deliveries[1].Message.Header("JMSXGroupFirstForConsumer"));
    }

    [Fact]
    public void Group_OwnerFull_ItsMessagesWait_WithoutBlockingOthers()
    {
        using var t = new TestBroker();
        var (ownerConsumer, owner) = t.Subscribe(Q("q"), prefetch: 1, owner: "owner");
        t.SendWith(Q("q"), "g1", Group("G"));
        var (_, other) = t.Subscribe(Q("q"), owner: "other");

        t.SendWith(Q("q"), "g2", Group("G"));
        t.SendWith(Q("q"), "free1");
        t.SendWith(Q("q"), "free2");

        Assert.Equal(["g1"], owner.Bodies);
        Assert.Equal(["free1", "free2"], other.Bodies);

        Assert.True(ownerConsumer.Ack(owner.Single().Tag));
        Assert.Equal(["g1", "g2"], owner.Bodies);
    }

    [Fact]
    public void Group_OwnerLeaves_GroupMovesToAnotherConsumer_WithItsUnackedMessages()
    {
        using var t = new TestBroker();
        var (first, a) = t.Subscribe(Q("q"), owner: "a");
        t.SendWith(Q("q"), "g1", Group("G"));
        var (_, b) = t.Subscribe(Q("q"), owner: "b");

        first.Close();
        t.SendWith(Q("q"), "g2", Group("G"));

        Assert.Equal(["g1"], a.Bodies);
        Assert.Equal(["g1", "g2"], b.Bodies);
        Assert.True(b.Deliveries[0].Redelivered);
        Assert.Equal("true", b.Deliveries[0].Message.Header("JMSXGroupFirstForConsumer"));
    }

    [Fact]
    public void Group_SequenceMinusOneClosesIt_NextMessageMayGoElsewhere()
    {
        using var t = new TestBroker();
        var (_, a) = t.Subscribe(Q("q"), owner: "a");
        var (_, b) = t.Subscribe(Q("q"), owner: "b");

        t.SendWith(Q("q"), "g1", Group("G"));
        t.SendWith(Q("q"), "g2", Group("G"), ("JMSXGroupSeq", "-1"));
        t.SendWith(Q("q"), "g3", Group("G"));

        Assert.Equal(["g1", "g2"], a.Bodies);
        Assert.Equal(["g3"], b.Bodies);
    }

    [Fact]
    public void Exclusive_OldestExclusiveConsumerAloneReceives_NextTakesOverWhenItLeaves()
    {
        using var t = new TestBroker();
        var (_, plain) = t.Subscribe(Q("q"), owner: "plain");
        var (exclusive, first) = t.Subscribe(Q("q"), owner: "first", configure: o => o with { Exclusive = true });
        var (_, second) = t.Subscribe(Q("q"), owner: "second", configure: o => o with { Exclusive = true });

        t.SendMany(Q("q"), "1", "2", "3");
        exclusive.Close();
        t.SendMany(Q("q"), "4");

        Assert.Empty(plain.Bodies);
        Assert.Equal(["1", "2", "3"], first.Bodies);
        Assert.Equal(["1", "2", "3", "4"], second.Bodies);
    }

    [Fact]
    public void Exclusive_JoiningConsumerTakesWhatWaits()
    {
        using var t = new TestBroker();
        t.SendMany(Q("q"), "1", "2");

        var (_, sink) = t.Subscribe(Q("q"), configure: o => o with { Exclusive = true });

        Assert.Equal(["1", "2"], sink.Bodies);
    }

    [Fact]
    public void Priority_HigherConsumerFirst_LowerOnlyWhenHigherIsFull()
    {
        using var t = new TestBroker();
        var (_, low) = t.Subscribe(Q("q"), owner: "low", prefetch: 10);
        var (high, highSink) = t.Subscribe(Q("q"), owner: "high", prefetch: 2, configure: o => o with { Priority = 9 });

        t.SendMany(Q("q"), "1", "2", "3");

        Assert.Equal(["1", "2"], highSink.Bodies);
        Assert.Equal(["3"], low.Bodies);

        Assert.True(high.Ack(highSink.Deliveries[0].Tag));
        t.SendMany(Q("q"), "4");
        Assert.Equal(["1", "2", "4"], highSink.Bodies);
    }

    [Fact]
    public void Priority_EqualPrioritiesStillRoundRobin()
    {
        using var t = new TestBroker();
        var (_, a) = t.Subscribe(Q("q"), owner: "a", configure: o => o with { Priority = 5 });
        var (_, b) = t.Subscribe(Q("q"), owner: "b", configure: o => o with { Priority = 5 });

        t.SendMany(Q("q"), "1", "2", "3", "4");

        Assert.Equal(["1", "3"], a.Bodies);
        Assert.Equal(["2", "4"], b.Bodies);
    }

    [Fact]
    public void Selective_ReturnedMessageGoesBackInOrder()
    {
        using var t = new TestBroker();
        var (consumer, sink) = t.Subscribe(Q("q"), ackMode: AckMode.ClientIndividual, prefetch: 1, configure: o => o with { Priority = 1 });
        t.SendMany(Q("q"), "1", "2");

        Assert.True(consumer.Nack(sink.Single().Tag));

        Assert.Equal(["1", "1"], sink.Bodies);
        Assert.True(sink.Last.Redelivered);
    }
}
