using Broker.Core.Events;
using Broker.Core.Storage;
using Broker.Core.Transactions;
using Microsoft.Extensions.Logging.Abstractions;
using static Broker.Core.Tests.TestBroker;

namespace Broker.Core.Tests;

public class TransactionOutcomeTests
{
    [Fact]
    public void Commit_AppendsItsIdentityAsTheLastOperation_AndRecordsTheOutcome()
    {
        using var t = new TestBroker();
        var tx = t.Broker.BeginTransaction("tx-7");
        tx.Send(TestMessages.Create(t.Broker, Q("q"), "1"));

        tx.Commit("alice");

        Assert.True(t.Broker.TransactionOutcomes.TryGet("alice", "tx-7", out var committed));
        Assert.True(committed);
        Assert.False(t.Broker.TransactionOutcomes.TryGet("bob", "tx-7", out _));
    }

    [Fact]
    public void Recover_CommittedTransactionInJournal_IsKnownCommitted()
    {
        var clock = new ManualClock();
        var state = new RecoveryState(long.MaxValue);
        state.Apply(1, new TransactionRecord([new TransactionCommittedRecord("alice", "old", clock.NowMs - (long)TimeSpan.FromHours(2).TotalMilliseconds)]));
        state.Apply(2, new TransactionRecord(
        [
            new MessageAddedRecord(QueueKey.ForQueue("q"), new Messages.Message { MessageId = "m", Destination = Q("q"), Persistent = true }, null, 0),
            new TransactionCommittedRecord("alice", "recent", clock.NowMs - 1000),
        ]));
        state.Apply(4, new TransactionCommittedRecord("bob", "compacted", clock.NowMs));
        var broker = new MessageBroker("b1", new BrokerOptions(), new EventLog(), NullLogger.Instance, clock);

        broker.Recover(null!, state);

        Assert.True(broker.TransactionOutcomes.TryGet("alice", "recent", out var committed) && committed);
        Assert.True(broker.TransactionOutcomes.TryGet("bob", "compacted", out committed) && committed);
        Assert.False(broker.TransactionOutcomes.TryGet("alice", "old", out _), "an outcome older than the retention came back");
        Assert.Single(Assert.Single(state.Queues).Messages);
    }

    [Fact]
    public void RecoveryState_MoreCommitsThanTheCapacity_KeepsTheNewest()
    {
        var state = new RecoveryState(long.MaxValue);
        for (var i = 1; i <= TransactionOutcomes.Capacity + 5; i++)
        {
            state.Apply(i, new TransactionCommittedRecord("u", $"tx-{i}", 0));
        }

        var kept = state.CommittedTransactions.ToList();

        Assert.Equal(TransactionOutcomes.Capacity, kept.Count);
        Assert.Equal("tx-6", kept[0].TransactionId);
        Assert.Equal($"tx-{TransactionOutcomes.Capacity + 5}", kept[^1].TransactionId);
    }

    [Fact]
    public void ForgetExpired_OlderThanRetention_Forgotten()
    {
        var clock = new ManualClock();
        var outcomes = new TransactionOutcomes(TimeSpan.FromMinutes(10), clock);
        outcomes.Record("u", "a", committed: true);
        clock.Advance(TimeSpan.FromMinutes(6));
        outcomes.Record("u", "b", committed: false);
        clock.Advance(TimeSpan.FromMinutes(6));

        outcomes.ForgetExpired(clock.NowMs);

        Assert.False(outcomes.TryGet("u", "a", out _));
        Assert.True(outcomes.TryGet("u", "b", out var committed));
        Assert.False(committed);
    }
}
