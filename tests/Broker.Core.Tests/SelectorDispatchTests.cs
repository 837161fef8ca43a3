using Broker.Core.Consumers;
using Broker.Core.Selectors;
using static Broker.Core.Tests.TestBroker;

namespace Broker.Core.Tests;

/// <summary>Selectors as consumers use them: on a queue a message waits for a consumer that matches; on a topic a subscription keeps what it matches.</summary>
public class SelectorDispatchTests
{
    private static Func<SubscriptionOptions, SubscriptionOptions> Selecting(string selector) =>
        o => o with { Selector = MessageSelector.Parse(selector) };

    private static (string, string) Color(string value) => ("color", value);

    [Fact]
    public void Queue_EachConsumerGetsWhatItsSelectorMatches()
    {
        using var t = new TestBroker();
        var (_, red) = t.Subscribe(Q("q"), owner: "red", configure: Selecting("color = 'red'"));
        var (_, blue) = t.Subscribe(Q("q"), owner: "blue", configure: Selecting("color = 'blue'"));

        t.SendWith(Q("q"), "r1", Color("red"));
        t.SendWith(Q("q"), "b1", Color("blue"));
        t.SendWith(Q("q"), "r2", Color("red"));

        Assert.Equal(["r1", "r2"], red.Bodies);
        Assert.Equal(["b1"], blue.Bodies);
    }

    [Fact]
    public void Queue_UnmatchedMessageStays_WithoutBlockingThoseBehindIt_AndGoesToALaterConsumer()
    {
        using var t = new TestBroker();
        var (_, red) = t.Subscribe(Q("q"), owner: "red", configure: Selecting("color = 'red'"));

        t.SendWith(Q("q"), "g1", Color("green"));
        t.SendWith(Q("q"), "r1", Color("red"));

        Assert.Equal(["r1"], red.Bodies);
        Assert.Equal(1, t.Stats(Q("q")).Pending);

        var (_, anyone) = t.Subscribe(Q("q"), owner: "anyone");
        Assert.Equal(["g1"], anyone.Bodies);
    }

    [Fact]
    public void Queue_ConsumerWithoutSelector_TakesEverything_BesideSelectingOnes()
    {
        using var t = new TestBroker();
        var (_, red) = t.Subscribe(Q("q"), owner: "red", configure: Selecting("color = 'red'"));
        var (_, all) = t.Subscribe(Q("q"), owner: "all");

        t.SendWith(Q("q"), "g1", Color("green"));
        t.SendWith(Q("q"), "g2", Color("green"));

        Assert.Empty(red.Bodies);
        Assert.Equal(["g1", "g2"], all.Bodies);
    }

    [Fact]
    public void Queue_SelectingConsumerFull_MatchingMessagesWaitForIt()
    {
        using var t = new TestBroker();
        var (consumer, red) = t.Subscribe(Q("q"), prefetch: 1, configure: Selecting("color = 'red'"));

        t.SendWith(Q("q"), "r1", Color("red"));
        t.SendWith(Q("q"), "r2", Color("red"));
        Assert.Equal(["r1"], red.Bodies);

        Assert.True(consumer.Ack(red.Single().Tag));
        Assert.Equal(["r1", "r2"], red.Bodies);
    }

    [Fact]
    public void Topic_SubscriptionKeepsOnlyWhatItMatches()
    {
        using var t = new TestBroker();
        var (_, red) = t.Subscribe(T("t"), owner: "red", configure: Selecting("color = 'red'"));
        var (_, all) = t.Subscribe(T("t"), owner: "all");

        t.SendWith(T("t"), "r1", Color("red"));
        t.SendWith(T("t"), "b1", Color("blue"));

        Assert.Equal(["r1"], red.Bodies);
        Assert.Equal(["r1", "b1"], all.Bodies);
    }

    [Fact]
    public void DurableTopic_SelectorKeptWhileAway_AndChangingItStartsAnewSubscription()
    {
        using var t = new TestBroker();
        var (first, _) = t.Subscribe(T("t"), clientId: "c", durableName: "d", configure: Selecting("color = 'red'"));
        first.Close();

        t.SendWith(T("t"), "r1", Color("red"));
        t.SendWith(T("t"), "b1", Color("blue"));

        var (again, sink) = t.Subscribe(T("t"), clientId: "c", durableName: "d", configure: Selecting("color = 'red'"));
        Assert.Equal(["r1"], sink.Bodies);
        again.Close();

        t.SendWith(T("t"), "b2", Color("blue"));
        var (_, changed) = t.Subscribe(T("t"), clientId: "c", durableName: "d", configure: Selecting("color = 'blue'"));
        Assert.Empty(changed.Bodies);
        t.SendWith(T("t"), "b3", Color("blue"));
        Assert.Equal(["b3"], changed.Bodies);
    }

    [Fact]
    public void Queue_FastSelectiveConsumer_GetsAllItsMessages_WhileOthersHoldTheirs()
    {
        using var t = new TestBroker();
        var consumers = Enumerable.Range(0, 3)
            .Select(i => t.Subscribe(Q("q"), prefetch: 1, owner: $"c{i}", configure: Selecting($"k = '{i}'")))
            .ToList();
        for (var i = 0; i < 30; i++)
        {
            t.SendWith(Q("q"), $"m{i}", ("k", (i % 3).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        var (fast, sink) = consumers[0];
        for (var i = 0; i < 10; i++)
        {
            Assert.True(fast.Ack(sink.Last.Tag));
        }

        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"m{i * 3}"), sink.Bodies);
        Assert.Equal(["m1"], consumers[1].Sink.Bodies);
        Assert.Equal(["m2"], consumers[2].Sink.Bodies);
    }

    [Fact]
    public void Queue_HigherPriorityMessageArrivingBehindWhereAConsumerLooked_IsStillFoundFirst()
    {
        using var t = new TestBroker();
        var (consumer, red) = t.Subscribe(Q("q"), prefetch: 1, configure: Selecting("color = 'red'"));
        t.SendWith(Q("q"), "r1", Color("red"));
        t.SendWith(Q("q"), "b1", Color("blue"));
        t.SendWith(Q("q"), "r2", Color("red"));
        Assert.True(consumer.Ack(red.Last.Tag));
        Assert.Equal(["r1", "r2"], red.Bodies);

        var urgent = TestMessages.Create(t.Broker, Q("q"), "urgent", priority: 9, headers: [KeyValuePair.Create("color", "red")]);
        t.Broker.Send(urgent);
        t.SendWith(Q("q"), "r3", Color("red"));
        Assert.True(consumer.Ack(red.Last.Tag));

        Assert.Equal(["r1", "r2", "urgent"], red.Bodies);
    }
}
