using Broker.Core.Consumers;
using Broker.Core.Events;
using Broker.Core.Messages;
using Broker.Core.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using static Broker.Core.Tests.TestBroker;

namespace Broker.Core.Tests;

/// <summary>Wildcard subscriptions, composite sends and virtual topics (ActiveMQ's destination features).</summary>
public class RoutingTests
{
    [Fact]
    public void TopicWildcard_ReceivesFromExistingAndLaterTopics_OnlyMatching()
    {
        using var t = new TestBroker();
        t.Send(T("PRICE.STOCK.NYSE.IBM"), "before");
        var (_, sink) = t.Subscribe(T("PRICE.STOCK.>"), AckMode.Auto);

        t.Send(T("PRICE.STOCK.NYSE.IBM"), "existing");
        t.Send(T("PRICE.STOCK.NASDAQ.ORCL"), "new topic");
        t.Send(T("PRICE.BOND.X"), "other branch");
        t.Send(T("PRICE.STOCKS.X"), "other element");
        t.Send(T("PRICE.STOCK"), "'>' matches none too");

        Assert.Equal(["existing", "new topic", "'>' matches none too"], sink.Bodies);
        Assert.Equal("/topic/PRICE.STOCK.NASDAQ.ORCL", sink.Deliveries[1].Message.Destination.ToString());
    }

    [Fact]
    public void TopicWildcard_PlainSubscribersOfTheTopicStillGetTheirCopy()
    {
        using var t = new TestBroker();
        var (_, wildcard) = t.Subscribe(T("news.*"), owner: "w");
        var (_, plain) = t.Subscribe(T("news.sport"), owner: "p");

        t.Send(T("news.sport"), "goal");

        Assert.Equal(["goal"], wildcard.Bodies);
        Assert.Equal(["goal"], plain.Bodies);
    }

    [Fact]
    public void TopicWildcard_EndedSubscription_ReceivesNothingMore()
    {
        using var t = new TestBroker();
        var (consumer, sink) = t.Subscribe(T("a.>"), AckMode.Auto);
        t.Send(T("a.b"), "1");

        consumer.Close();
        t.Send(T("a.b"), "2");

        Assert.Equal(["1"], sink.Bodies);
    }

    [Fact]
    public async Task TopicWildcard_DurableSubscription_KeepsMessagesWhileAwayAndSurvivesRestart()
    {
        var store = new MemoryStore();
        using var t = new TestBroker(store: store);
        var (consumer, _) = t.Subscribe(T("PRICE.>"), clientId: "c1", durableName: "prices");
        consumer.Close();
        await t.Broker.Send(Persistent(t, T("PRICE.IBM"), "while away"));

        var restarted = new MessageBroker("b1", new BrokerOptions(), new EventLog(), NullLogger.Instance, new ManualClock());
        restarted.Recover(store, store.Fold());
        restarted.Start();
        var sink = new RecordingSink();
        restarted.Subscribe(T("PRICE.>"), sink, new SubscriptionOptions { ClientId = "c1", DurableName = "prices", AckMode = AckMode.ClientIndividual });
        await restarted.Send(Persistent(t, T("PRICE.ORCL"), "after restart") with { MessageId = restarted.NextMessageId() });

        Assert.Equal(["while away", "after restart"], sink.Bodies);
        Assert.Equal("/topic/PRICE.IBM", sink.Deliveries[0].Message.Destination.ToString());
        await restarted.StopAsync();
    }

    [Fact]
    public void QueueWildcard_ConsumesFromExistingAndLaterQueues_AndAcksReachEachQueue()
    {
        using var t = new TestBroker();
        t.Send(Q("orders.eu"), "eu waiting");
        t.Send(Q("orders.eu.paris"), "too deep");
        var sink = new RecordingSink();
        var set = t.Broker.SubscribeAll([Q("orders.*")], sink, new SubscriptionOptions { AckMode = AckMode.ClientIndividual });

        t.Send(Q("orders.us"), "us new");

        Assert.Equal(["eu waiting", "us new"], sink.Bodies);
        Assert.Equal(["/queue/orders.eu", "/queue/orders.us"], set.Destinations.Select(d => d.ToString()).Order());
        foreach (var delivery in sink.Deliveries)
        {
            var (consumer, tag) = Assert.Single(set.Resolve(delivery.Tag));
            Assert.NotNull(consumer.Acknowledge(tag));
        }
        Assert.Empty(t.BrowseBodies("orders.eu"));
        Assert.Empty(t.BrowseBodies("orders.us"));
        Assert.Equal(["too deep"], t.BrowseBodies("orders.eu.paris"));
    }

    [Fact]
    public async Task QueueWildcard_SubscribingWhileQueuesAreCreated_TakesEveryQueueOnce()
    {
        using var t = new TestBroker();
        const int queues = 2000;
        var sink = new RecordingSink();
        var creator = Task.Run(() =>
        {
            for (var i = 0; i < queues; i++)
            {
                t.Send(Q($"race.{i}"), $"{i}");
            }
        });
        while (t.Broker.GetDestination(Q("race.10")) is null)
        {
            await Task.Yield();
        }

        var set = t.Broker.SubscribeAll([Q("race.*")], sink, new SubscriptionOptions { AckMode = AckMode.Auto });
        await creator.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(queues, set.Destinations.Count);
        Assert.Equal(Enumerable.Range(0, queues).Select(i => $"{i}").Order(), sink.Bodies.Order());
    }

    [Fact]
    public void QueueWildcard_SharesEachQueueWithItsPlainConsumers()
    {
        using var t = new TestBroker();
        var (_, plain) = t.Subscribe(Q("jobs.a"), prefetch: 1);
        var wildcard = new RecordingSink();
        t.Broker.SubscribeAll([Q("jobs.>")], wildcard, new SubscriptionOptions { AckMode = AckMode.ClientIndividual, Prefetch = 1 });

        t.SendMany(Q("jobs.a"), "1", "2", "3");

        // Each message goes to one consumer; together they took two (one each, prefetch 1), the third waits.
        Assert.Equal(2, plain.Deliveries.Count + wildcard.Deliveries.Count);
        Assert.Single(plain.Deliveries);
        Assert.Equal(["3"], t.BrowseBodies("jobs.a").Except(plain.Bodies.Concat(wildcard.Bodies)));
    }

    [Fact]
    public void QueueWildcard_NackAndClose_ReturnMessagesForRedelivery()
    {
        using var t = new TestBroker();
        var sink = new RecordingSink();
        var set = t.Broker.SubscribeAll([Q("q.*")], sink, new SubscriptionOptions { AckMode = AckMode.ClientIndividual });
        t.Send(Q("q.1"), "one");
        t.Send(Q("q.2"), "two");

        var (consumer, tag) = Assert.Single(set.Resolve(sink.ByBody("one").Tag));
        Assert.True(consumer.Nack(tag));
        Assert.Equal(["one", "two", "one"], sink.Bodies);
        Assert.True(sink.Last.Redelivered);

        set.Close();
        t.Send(Q("q.3"), "after close");
        Assert.Equal(["one"], t.BrowseBodies("q.1"));
        Assert.Equal(["two"], t.BrowseBodies("q.2"));
        Assert.Equal(3, sink.Deliveries.Count);
    }

    [Fact]
    public void QueueWildcard_ClientModeAck_CoversEarlierDeliveriesOfEveryQueue()
    {
        using var t = new TestBroker();
        var sink = new RecordingSink();
        var set = t.Broker.SubscribeAll([Q("m.*")], sink, new SubscriptionOptions { AckMode = AckMode.Client });
        t.Send(Q("m.a"), "a1");
        t.Send(Q("m.b"), "b1");
        t.Send(Q("m.a"), "a2");
        t.Send(Q("m.b"), "b2");

        foreach (var (consumer, tag) in set.Resolve(sink.ByBody("a2").Tag))
        {
            Assert.NotNull(consumer.Acknowledge(tag));
        }

        Assert.Empty(t.BrowseBodies("m.a"));
        Assert.Equal(["b2"], t.BrowseBodies("m.b"));
    }

    [Fact]
    public void QueueWildcard_DeletedQueue_EndsOnlyThatMember()
    {
        using var t = new TestBroker();
        var sink = new RecordingSink();
        var set = t.Broker.SubscribeAll([Q("d.*")], sink, new SubscriptionOptions());
        t.Send(Q("d.1"), "x");
        t.Send(Q("d.2"), "y");

        Assert.True(t.Broker.DeleteDestination(Q("d.1")));
        t.Send(Q("d.2"), "z");
        t.Send(Q("d.1"), "recreated");

        Assert.Empty(sink.Closures);
        Assert.Equal(["x", "y", "z", "recreated"], sink.Bodies);
        Assert.Equal(["/queue/d.1", "/queue/d.2"], set.Destinations.Select(d => d.ToString()).Order());
    }

    [Fact]
    public void Send_ToWildcard_IsRefused()
    {
        using var t = new TestBroker();

        Assert.Throws<BrokerException>(() => t.Send(T("PRICE.>"), "x"));
        Assert.Throws<BrokerException>(() => t.Send(Q("orders.*"), "x"));
    }

    [Fact]
    public void Composite_SendsACopyToEach_AddressedToIt_JournaledPerQueue()
    {
        var store = new MemoryStore();
        using var t = new TestBroker(store: store);
        var (_, topic) = t.Subscribe(T("b"), owner: "t");
        var message = Persistent(t, Q("a"), "fan-out");

        var durable = t.Broker.Send(message, [Q("a"), T("b"), Q("c")]);

        Assert.True(durable.IsCompletedSuccessfully);
        Assert.Equal(["fan-out"], t.BrowseBodies("a"));
        Assert.Equal(["fan-out"], t.BrowseBodies("c"));
        Assert.Equal("/topic/b", topic.Single().Message.Destination.ToString());
        Assert.Equal(message.MessageId, topic.Single().Message.MessageId);
        var added = store.Records.Select(r => r.Record).OfType<MessageAddedRecord>().Select(r => r.Queue.Queue).ToList();
        Assert.Equal(["a", "c"], added);
    }

    [Fact]
    public void Composite_InTransaction_AppearsOnlyAtCommit()
    {
        using var t = new TestBroker();
        var tx = t.Broker.BeginTransaction("tx1");
        tx.Send(Persistent(t, Q("x"), "together"), [Q("x"), Q("y")]);
        Assert.Null(t.Broker.GetDestination(Q("x")));

        tx.Commit("admin");

        Assert.Equal(["together"], t.BrowseBodies("x"));
        Assert.Equal(["together"], t.BrowseBodies("y"));
    }

    [Fact]
    public void Composite_Subscription_ConsumesFromEach()
    {
        using var t = new TestBroker();
        var sink = new RecordingSink();
        t.Broker.SubscribeAll([Q("cq"), T("ct")], sink, new SubscriptionOptions { AckMode = AckMode.Auto });

        t.Send(Q("cq"), "from queue");
        t.Send(T("ct"), "from topic");

        Assert.Equal(["from queue", "from topic"], sink.Bodies);
    }

    [Fact]
    public void VirtualTopic_ReachesEachExistingConsumerQueue_AndTopicSubscribers()
    {
        var store = new MemoryStore();
        using var t = new TestBroker(store: store);
        t.Broker.Send(Persistent(t, T("VirtualTopic.Orders"), "before any consumer queue"));
        var (_, a) = t.Subscribe(Q("Consumer.A.VirtualTopic.Orders"), owner: "a");
        var (_, b1) = t.Subscribe(Q("Consumer.B.VirtualTopic.Orders"), prefetch: 1, owner: "b1");
        var (_, b2) = t.Subscribe(Q("Consumer.B.VirtualTopic.Orders"), prefetch: 1, owner: "b2");
        var (_, topic) = t.Subscribe(T("VirtualTopic.Orders"), owner: "t");
        var (_, other) = t.Subscribe(Q("Consumer.C.VirtualTopic.Other"), owner: "c");

        t.Broker.Send(Persistent(t, T("VirtualTopic.Orders"), "o1"));
        t.Broker.Send(Persistent(t, T("VirtualTopic.Orders"), "o2"));

        Assert.Equal(["o1", "o2"], a.Bodies);
        // Queue semantics inside one consumer group: B's two consumers share the messages.
        Assert.Equal(["o1", "o2"], b1.Bodies.Concat(b2.Bodies).Order());
        Assert.Equal(["o1", "o2"], topic.Bodies);
        Assert.Empty(other.Deliveries);
        Assert.Equal("/queue/Consumer.A.VirtualTopic.Orders", a.Last.Message.Destination.ToString());
        Assert.Equal("/topic/VirtualTopic.Orders", a.Last.Message.Header("original-destination"));
        var added = store.Records.Select(r => r.Record).OfType<MessageAddedRecord>().Select(r => r.Queue.Queue).ToList();
        Assert.Equal(4, added.Count);
        Assert.All(added, q => Assert.StartsWith("Consumer.", q));
    }

    [Fact]
    public void VirtualTopic_InTransaction_ReachesConsumerQueuesAtCommit()
    {
        using var t = new TestBroker();
        t.Subscribe(Q("Consumer.A.VirtualTopic.T"), owner: "a").Consumer.Close();
        var tx = t.Broker.BeginTransaction("tx1");
        tx.Send(Persistent(t, T("VirtualTopic.T"), "in tx"));
        Assert.Empty(t.BrowseBodies("Consumer.A.VirtualTopic.T"));

        tx.Commit("admin");

        Assert.Equal(["in tx"], t.BrowseBodies("Consumer.A.VirtualTopic.T"));
    }

    [Fact]
    public void VirtualTopic_RemovedConsumerQueue_IsNotRecreatedBySends()
    {
        using var t = new TestBroker();
        t.Subscribe(Q("Consumer.A.VirtualTopic.T"), owner: "a").Consumer.Close();
        Assert.True(t.Broker.DeleteDestination(Q("Consumer.A.VirtualTopic.T")));

        t.Send(T("VirtualTopic.T"), "x");

        Assert.Null(t.Broker.GetDestination(Q("Consumer.A.VirtualTopic.T")));
        Assert.Equal((0, 0), t.Broker.RouteIndexSizes);
    }

    [Theory]
    [InlineData("Consumer.A.VirtualTopic.Orders", "VirtualTopic.Orders")]
    [InlineData("Consumer.A.VirtualTopic.Orders.EU", "VirtualTopic.Orders.EU")]
    [InlineData("Consumer..VirtualTopic.Orders", null)]
    [InlineData("Consumer.A.VirtualTopic.", null)]
    [InlineData("Consumer.A.B.VirtualTopic.Orders", null)]
    [InlineData("Orders", null)]
    public void VirtualTopicOf_ReadsActiveMqsDefaultConsumerQueueName(string queue, string? topic)
    {
        Assert.Equal(topic, MessageBroker.VirtualTopicOf(queue));
    }

    private static Message Persistent(TestBroker t, DestinationName destination, string body) =>
        TestMessages.Create(t.Broker, destination, body) with { Persistent = true };
}
