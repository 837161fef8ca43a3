using Broker.Core.Consumers;
using static Broker.Core.Tests.TestBroker;

namespace Broker.Core.Tests;

public class TransactionTests
{
    [Fact]
    public void Transaction_SendsInvisibleUntilCommit()
    {
        using var t = new TestBroker();
        var (_, sink) = t.Subscribe(Q("q"));
        var tx = t.Broker.BeginTransaction("tx1");

        tx.Send(TestMessages.Create(t.Broker, Q("q"), "1"));
        tx.Send(TestMessages.Create(t.Broker, Q("q"), "2"));

        Assert.Equal(2, tx.Count);
        Assert.Empty(sink.Deliveries);
        Assert.Empty(t.Broker.Browse("q"));

        tx.Commit("admin");

        Assert.Equal(["1", "2"], sink.Bodies);
        Assert.Equal(0, tx.Count);
    }

    [Fact]
    public void Transaction_RollbackDiscardsSends()
    {
        using var t = new TestBroker();
        var tx = t.Broker.BeginTransaction("tx1");
        tx.Send(TestMessages.Create(t.Broker, Q("q"), "1"));

        tx.Rollback();
        tx.Commit("admin");

        Assert.Null(t.Broker.GetDestination(Q("q")));
        Assert.Equal(0, t.Broker.Memory.Used);
    }

    [Fact]
    public void Transaction_AcksTakeEffectOnlyAtCommit()
    {
        using var t = new TestBroker();
        var (consumer, sink) = t.Subscribe(Q("q"));
        t.SendMany(Q("q"), "1", "2");
        var tx = t.Broker.BeginTransaction("tx1");

        Assert.True(tx.Ack(consumer, sink.ByBody("1").Tag));

        Assert.True(consumer.IsInFlight(sink.ByBody("1").Tag));
        Assert.Equal(2, t.Stats(Q("q")).InFlight);

        tx.Commit("admin");

        Assert.False(consumer.IsInFlight(sink.ByBody("1").Tag));
        Assert.Equal(["2"], t.BrowseBodies("q"));
    }

    [Fact]
    public void Transaction_RollbackReturnsAckedMessagesAsRedelivered()
    {
        using var t = new TestBroker();
        var (consumer, sink) = t.Subscribe(Q("q"), prefetch: 2);
        t.SendMany(Q("q"), "1", "2", "3");
        var tx = t.Broker.BeginTransaction("tx1");
        Assert.True(tx.Ack(consumer, sink.ByBody("1").Tag));
        tx.Send(TestMessages.Create(t.Broker, Q("q"), "sent-in-tx"));

        tx.Rollback();

        Assert.Equal(["1", "2", "1"], sink.Bodies);
        Assert.True(sink.Last.Redelivered);
        Assert.Equal(2, sink.Last.DeliveryCount);
        Assert.Equal(["1", "2", "3"], t.BrowseBodies("q"));
    }

    [Fact]
    public void Transaction_ClientModeAckCoversEarlierDeliveries()
    {
        using var t = new TestBroker();
        var (consumer, sink) = t.Subscribe(Q("q"), AckMode.Client);
        t.SendMany(Q("q"), "1", "2", "3", "4");
        var tx = t.Broker.BeginTransaction("tx1");

        Assert.True(tx.Ack(consumer, sink.ByBody("3").Tag));
        Assert.Equal(3, tx.Count);
        Assert.Equal(4, consumer.InFlightCount);

        tx.Commit("admin");

        Assert.Equal(1, consumer.InFlightCount);
        Assert.Equal(["4"], t.BrowseBodies("q"));
    }

    [Fact]
    public void Transaction_ClientModeRollbackReturnsEveryCoveredDelivery()
    {
        using var t = new TestBroker();
        var (consumer, sink) = t.Subscribe(Q("q"), AckMode.Client, prefetch: 3);
        t.SendMany(Q("q"), "1", "2", "3");
        var tx = t.Broker.BeginTransaction("tx1");
        Assert.True(tx.Ack(consumer, sink.ByBody("2").Tag));

        tx.Rollback();

        Assert.Equal(["1", "2", "3", "1", "2"], sink.Bodies);
        Assert.True(consumer.IsInFlight(sink.ByBody("3").Tag));
    }

    [Fact]
    public void Transaction_AckOfUnknownTag_ReturnsFalseAndRecordsNothing()
    {
        using var t = new TestBroker();
        var (consumer, _) = t.Subscribe(Q("q"));
        var tx = t.Broker.BeginTransaction("tx1");

        Assert.False(tx.Ack(consumer, 42));
        Assert.Equal(0, tx.Count);
    }

    [Fact]
    public void Transaction_SameAckTwice_IsRecordedOnce()
    {
        using var t = new TestBroker();
        var (consumer, sink) = t.Subscribe(Q("q"));
        t.SendMany(Q("q"), "1");
        var tx = t.Broker.BeginTransaction("tx1");

        Assert.True(tx.Ack(consumer, sink.Single().Tag));
        Assert.True(tx.Ack(consumer, sink.Single().Tag));

        Assert.Equal(1, tx.Count);
    }

    [Fact]
    public void Transaction_MaxTransactionSizeEnforced()
    {
        using var t = new TestBroker(new BrokerOptions { MaxTransactionSize = 3 });
        var (consumer, sink) = t.Subscribe(Q("q"));
        t.SendMany(Q("q"), "a");
        var tx = t.Broker.BeginTransaction("tx1");
        tx.Send(TestMessages.Create(t.Broker, Q("q"), "1"));
        tx.Send(TestMessages.Create(t.Broker, Q("q"), "2"));
        Assert.True(tx.Ack(consumer, sink.Single().Tag));

        var error = Assert.Throws<BrokerException>(() => tx.Send(TestMessages.Create(t.Broker, Q("q"), "3")));
        Assert.Contains("MaxTransactionSize", error.Message);
        Assert.Equal(3, tx.Count);

        tx.Commit("admin");

        Assert.Equal(["a", "1", "2"], sink.Bodies);
    }

    [Fact]
    public void Transaction_OnStoppedBroker_Throws()
    {
        var t = new TestBroker();
        t.Dispose();

        Assert.Throws<BrokerException>(() => t.Broker.BeginTransaction("tx1"));
        Assert.Throws<BrokerException>(() => t.Send(Q("q"), "1"));
    }
}
