using BrokerConsole.Tests.Infrastructure;

namespace BrokerConsole.Tests.Replication;

/// <summary>
/// A COMMIT repeated after the broker went away (a client that lost the receipt asks again) is answered from the
/// journal: RECEIPT for a committed transaction after a restart and after a failover to the slave, ERROR for one
/// the new broker never saw committed.
/// </summary>
[Collection("Processes")]
public sealed class CommitOutcomeTests
{
    [Fact]
    public async Task Commit_RepeatedAfterKillAndRestart_GetsItsReceipt()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await using var broker = await BrokerProcess.StartAsync(cancellationToken: timeout.Token);
        await CommitAsync(broker.Port, "tx-restart");

        broker.Kill();
        await broker.StartAsync(timeout.Token);

        await AssertRepeatedCommitAsync(broker.Port, "tx-restart", broker);
    }

    [Fact]
    public async Task Commit_RepeatedOnThePromotedSlave_GetsItsReceipt()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(150));
        await using var master = await BrokerProcess.StartAsync(Replicas.Master(), timeout.Token);
        await using var slave = await BrokerProcess.StartAsync(Replicas.SlaveOf(master.Port), timeout.Token);
        await Replicas.WaitInSyncAsync(master, slave, timeout.Token);
        await CommitAsync(master.Port, "tx-failover");

        master.Kill();
        var port = await slave.WaitForStompAsync(Replicas.FailoverTimeout, timeout.Token);

        await AssertRepeatedCommitAsync(port, "tx-failover", slave, master);
    }

    /// <summary>BEGIN, one persistent SEND, COMMIT, and its RECEIPT: committed and durable (on both brokers when paired).</summary>
    private static async Task CommitAsync(int port, string transaction)
    {
        await using var client = await DurabilityStomp.ConnectAsync(port);
        await client.SendAsync("BEGIN", ("transaction", transaction));
        await client.SendTextAsync("/queue/outcomes", transaction, ("transaction", transaction), ("persistent", "true"));
        await client.SendAsync("COMMIT", ("transaction", transaction), ("receipt", "commit"));
        var reply = await client.ReceiveAsync(TimeSpan.FromSeconds(30));
        Assert.True(reply.Command == "RECEIPT", $"COMMIT answered {DurabilityStomp.Describe(reply)}");
    }

    private static async Task AssertRepeatedCommitAsync(int port, string transaction, params BrokerProcess[] brokers)
    {
        await using (var client = await DurabilityStomp.ConnectAsync(port))
        {
            await client.SendAsync("COMMIT", ("transaction", transaction), ("receipt", "again"));
            var reply = await client.ReceiveAsync(TimeSpan.FromSeconds(30));
            Assert.True(reply.Command == "RECEIPT" && reply["receipt-id"] == "again",
                $"the repeated COMMIT answered {DurabilityStomp.Describe(reply)}{Environment.NewLine}{Replicas.Describe(brokers)}");
        }
        await using (var client = await DurabilityStomp.ConnectAsync(port))
        {
            await client.SendAsync("COMMIT", ("transaction", "never-begun"), ("receipt", "unknown"));
            var reply = await client.ReceiveAsync(TimeSpan.FromSeconds(30));
            Assert.True(reply.Command == "ERROR", $"a COMMIT of a transaction this broker never saw answered {DurabilityStomp.Describe(reply)}");
        }
        var bodies = await DurabilityStomp.DrainBodiesAsync(port, "/queue/outcomes", TimeSpan.FromSeconds(1));
        Assert.Equal([transaction], bodies);
    }
}
