using Broker.Core.Messages;
using static Broker.Core.Tests.TestBroker;

namespace Broker.Core.Tests;

/// <summary>
/// A persistent message reaches a consumer only once its record is durable (with a slave: replicated). Delivered
/// earlier, a crash before that point makes its producer send it again to the new master: a second copy, not
/// flagged as a redelivery.
/// </summary>
public sealed class DeliveryAfterStoreTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task PersistentMessage_IsDeliveredOnlyOnceItsRecordIsDurable()
    {
        var store = new ScriptedStore();
        using var test = new TestBroker(store: store);
        var (_, sink) = test.Subscribe(Q("q"));
        var storing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        store.NextDurable = storing.Task;

        var sent = test.Broker.Send(Persistent(test, "held"));

        Assert.Empty(sink.Deliveries);
        Assert.Equal(1, test.Stats(Q("q")).Pending);
        storing.SetResult();
        await sent;
        await WaitUntilAsync(() => sink.Deliveries.Count == 1);
        Assert.Equal(["held"], sink.Bodies);
    }

    [Fact]
    public async Task MessagesBehindOneBeingStored_KeepTheirOrder()
    {
        var store = new ScriptedStore();
        using var test = new TestBroker(store: store);
        var (_, sink) = test.Subscribe(Q("q"));
        var storing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        store.NextDurable = storing.Task;

        _ = test.Broker.Send(Persistent(test, "first"));
        await test.Broker.Send(Persistent(test, "second"));
        test.Send(Q("q"), "third, not persistent");

        Assert.Empty(sink.Deliveries);
        storing.SetResult();
        await WaitUntilAsync(() => sink.Deliveries.Count == 3);
        Assert.Equal(["first", "second", "third, not persistent"], sink.Bodies);
    }

    [Fact]
    public async Task MessageWhoseStoreFailed_IsNeverDelivered_ItsRetryIs()
    {
        var store = new ScriptedStore();
        using var test = new TestBroker(store: store);
        var (_, sink) = test.Subscribe(Q("q"));
        var storing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        store.NextDurable = storing.Task;

        var refused = test.Broker.Send(Persistent(test, "m1"));
        storing.SetException(new IOException("fsync failed"));
        await Assert.ThrowsAsync<IOException>(() => refused);
        await test.Broker.Send(Persistent(test, "m1"));

        await WaitUntilAsync(() => sink.Deliveries.Count == 1);
        Assert.Equal(["m1"], sink.Bodies);
        Assert.Equal(0, test.Stats(Q("q")).Pending);
    }

    [Fact]
    public async Task CommittedTransaction_ItsMessagesWaitForTheCommitRecord()
    {
        var store = new ScriptedStore();
        using var test = new TestBroker(store: store);
        var (_, sink) = test.Subscribe(Q("q"));
        var tx = test.Broker.BeginTransaction("tx1");
        tx.Send(Persistent(test, "1"));
        tx.Send(Persistent(test, "2"));
        var storing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        store.NextDurable = storing.Task;

        var committed = tx.Commit("admin");

        Assert.Empty(sink.Deliveries);
        storing.SetResult();
        await committed;
        await WaitUntilAsync(() => sink.Deliveries.Count == 2);
        Assert.Equal(["1", "2"], sink.Bodies);
    }

    private static Message Persistent(TestBroker test, string body) =>
        TestMessages.Create(test.Broker, Q("q"), body) with { Persistent = true };

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(5);
        }
    }
}
