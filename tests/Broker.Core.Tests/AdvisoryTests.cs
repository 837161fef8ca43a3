using System.Text.Json;
using Broker.Core.Consumers;
using Broker.Core.Events;
using Broker.Core.Messages;
using static Broker.Core.Tests.TestBroker;

namespace Broker.Core.Tests;

public class AdvisoryTests
{
    private static JsonElement Body(Delivery delivery) => JsonDocument.Parse(delivery.Message.Body).RootElement;

    [Fact]
    public void Advisory_WithoutSubscribers_CreatesNothing()
    {
        var store = new MemoryStore();
        using var t = new TestBroker(store: store);

        for (var i = 0; i < 100; i++)
        {
            t.Broker.AdviseConnection(opened: true, $"c{i}", "admin", null, "127.0.0.1");
            t.Broker.AdviseConsumer(Q("q"), added: true, $"c{i}:1", $"c{i}");
            t.Broker.AdviseProducer(Q("q"), added: true, $"c{i}");
            t.Broker.AdviseConnection(opened: false, $"c{i}", "admin", null, "127.0.0.1");
        }
        t.Broker.Publish(BrokerEventKind.SlaveAttached, "slave b2");

        Assert.Empty(t.Broker.GetDestinations());
        Assert.Empty(store.Records);
    }

    [Fact]
    public void ConnectionAdvisory_ReachesSubscribers_AsJsonWithTypeHeader()
    {
        using var t = new TestBroker();
        var (_, sink) = t.Subscribe(T(MessageBroker.ConnectionAdvisory), AckMode.Auto);

        t.Broker.AdviseConnection(opened: true, "c7", "alice", "app-1", "10.0.0.1:5000");
        t.Broker.AdviseConnection(opened: false, "c7", "alice", "app-1", "10.0.0.1:5000");

        Assert.Equal(["ConnectionOpened", "ConnectionClosed"], sink.Deliveries.Select(d => d.Message.Header("type")));
        var opened = Body(sink.Deliveries[0]);
        Assert.Equal("ConnectionOpened", opened.GetProperty("type").GetString());
        Assert.Equal("c7", opened.GetProperty("connectionId").GetString());
        Assert.Equal("app-1", opened.GetProperty("clientId").GetString());
        Assert.Equal("alice", opened.GetProperty("user").GetString());
        Assert.False(sink.Deliveries[0].Message.Persistent);
    }

    [Fact]
    public void ConsumerAdvisory_CarriesTheConsumerCount_AndNeverConcernsAdvisoryTopics()
    {
        using var t = new TestBroker();
        var (_, sink) = t.Subscribe(T("ActiveMQ.Advisory.Consumer.Queue.orders"), AckMode.Auto);
        var (consumer, _) = t.Subscribe(Q("orders"), owner: "c1");
        t.Broker.AdviseConsumer(Q("orders"), added: true, "c1:1", "c1");
        consumer.Close();
        t.Broker.AdviseConsumer(Q("orders"), added: false, "c1:1", "c1");
        t.Broker.AdviseConsumer(T("ActiveMQ.Advisory.Consumer.Queue.orders"), added: true, "c2:1", "c2");

        Assert.Equal(["ConsumerAdded", "ConsumerRemoved"], sink.Deliveries.Select(d => d.Message.Header("type")));
        Assert.Equal([1L, 0L], sink.Deliveries.Select(d => Body(d).GetProperty("consumerCount").GetInt64()));
        Assert.Equal("1", sink.Deliveries[0].Message.Header("consumerCount"));
        Assert.Null(t.Broker.GetDestination(T("ActiveMQ.Advisory.Consumer.Topic.ActiveMQ.Advisory.Consumer.Queue.orders")));
    }

    [Fact]
    public void ProducerAdvisory_CountsConnectionsProducingToADestination()
    {
        using var t = new TestBroker();
        var (_, sink) = t.Subscribe(T("ActiveMQ.Advisory.Producer.Topic.prices"), AckMode.Auto);

        t.Broker.AdviseProducer(T("prices"), added: true, "c1");
        t.Broker.AdviseProducer(T("prices"), added: true, "c2");
        t.Broker.AdviseProducer(T("prices"), added: false, "c1");

        Assert.Equal(["ProducerAdded", "ProducerAdded", "ProducerRemoved"], sink.Deliveries.Select(d => d.Message.Header("type")));
        Assert.Equal([1L, 2L, 1L], sink.Deliveries.Select(d => Body(d).GetProperty("producerCount").GetInt64()));
    }

    [Fact]
    public void WildcardSubscription_GetsAdvisoriesOfTopicsThatDoNotExist()
    {
        using var t = new TestBroker();
        var (_, sink) = t.Subscribe(T("ActiveMQ.Advisory.>"), AckMode.Auto);

        t.Broker.AdviseConnection(opened: true, "c1", "admin", null, "127.0.0.1");
        t.Broker.AdviseProducer(Q("work"), added: true, "c1");

        Assert.Equal(["/topic/ActiveMQ.Advisory.Connection", "/topic/ActiveMQ.Advisory.Producer.Queue.work"],
            sink.Deliveries.Select(d => d.Message.Destination.ToString()));
        Assert.Null(t.Broker.GetDestination(T(MessageBroker.ConnectionAdvisory)));
    }

    [Fact]
    public void ConsumerAdvisoryOfAWildcard_ReachesTheMatchingWildcardSubscriptionOnce()
    {
        using var t = new TestBroker();
        var (_, sink) = t.Subscribe(T("ActiveMQ.Advisory.Consumer.Topic.>"), AckMode.Auto);

        t.Broker.AdviseConsumer(T("PRICE.>"), added: true, "c1:1", "c1");
        // The advisory of a consumer on '>' goes to a topic named like the wildcard subscription itself.
        t.Broker.AdviseConsumer(T(">"), added: true, "c2:1", "c2");

        Assert.Equal(["/topic/ActiveMQ.Advisory.Consumer.Topic.PRICE.>", "/topic/ActiveMQ.Advisory.Consumer.Topic.>"],
            sink.Deliveries.Select(d => d.Message.Destination.ToString()));
    }

    [Fact]
    public void MasterSlaveEvents_AreAdvisories()
    {
        using var t = new TestBroker();
        var (_, replication) = t.Subscribe(T(MessageBroker.ReplicationAdvisory), AckMode.Auto, owner: "r");
        var (_, master) = t.Subscribe(T(MessageBroker.MasterBrokerAdvisory), AckMode.Auto, owner: "m");

        t.Broker.Publish(BrokerEventKind.SlaveAttached, "slave b2 from 127.0.0.1");
        t.Broker.Publish(BrokerEventKind.Promoted, "promoted to master at epoch 2");
        t.Broker.Publish(BrokerEventKind.DestinationCreated, "/queue/x");

        Assert.Equal(["SlaveAttached", "Promoted"], replication.Deliveries.Select(d => d.Message.Header("type")));
        var promoted = Body(master.Single());
        Assert.Equal("MasterBroker", promoted.GetProperty("type").GetString());
        Assert.Equal("b1", promoted.GetProperty("broker").GetString());
        Assert.Equal("promoted to master at epoch 2", promoted.GetProperty("detail").GetString());
    }
}
