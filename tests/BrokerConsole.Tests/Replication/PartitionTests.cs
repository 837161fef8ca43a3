using System.Diagnostics;
using BrokerConsole.Tests.Infrastructure;
using Xunit.Abstractions;

namespace BrokerConsole.Tests.Replication;

/// <summary>The link between the pair through a <see cref="TcpProxy"/>: cut (split brain) and stalled.</summary>
[Collection("Processes")]
public sealed class PartitionTests(ITestOutputHelper output)
{
    [Fact]
    public async Task LinkCut_SlavePromotesItself_AndTheOldMastersOwnRecordsAreSetAsideWhenItRejoins()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(150));
        await using var master = await BrokerProcess.StartAsync(Replicas.Master(), timeout.Token);
        await using var proxy = TcpProxy.Start(master.Port);
        await using var slave = await BrokerProcess.StartAsync(Replicas.SlaveOf(proxy.Port), timeout.Token);
        await Replicas.WaitInSyncAsync(master, slave, timeout.Token);
        var shared = await Replicas.SendAsync(master.Port, "/queue/split", "shared", 50);
        var masterEpoch = Replicas.Epoch(await master.GetViewAsync(timeout.Token));

        var mark = slave.OutputLength;
        proxy.Cut();
        await slave.WaitForOutputAsync("Master failed - starting all connectors", Replicas.FailoverTimeout, mark, timeout.Token);
        var slavePort = await slave.WaitForStompAsync(Replicas.FailoverTimeout, timeout.Token);
        await master.WaitForViewAsync(v => Replicas.State(v) == "master unprotected", TimeSpan.FromSeconds(10), "master unprotected", timeout.Token);

        // Split brain: both serve; what goes to the old master only is not replicated anywhere.
        var onlyOnMaster = await Replicas.SendAsync(master.Port, "/queue/split", "only-master", 30);
        proxy.Heal();
        var oldMaster = await master.GetViewAsync(timeout.Token);
        var newMaster = await slave.GetViewAsync(timeout.Token);
        output.WriteLine($"after the cut: old master {oldMaster}{Environment.NewLine}new master {newMaster}");
        Assert.Equal("master", Replicas.Role(oldMaster));
        Assert.Equal("master unprotected", Replicas.State(oldMaster));
        Assert.True(Replicas.Repl(oldMaster, "unreplicated") > 0, $"old master: {oldMaster}");
        Assert.Equal("master", Replicas.Role(newMaster));
        Assert.True(Replicas.Epoch(newMaster) > Replicas.Epoch(oldMaster), $"epochs: new master {Replicas.Epoch(newMaster)}, old master {Replicas.Epoch(oldMaster)}");
        Assert.Equal(masterEpoch, Replicas.Epoch(oldMaster));
        await using (var client = await DurabilityStomp.ConnectAsync(slavePort))
        {
            // The new master takes clients too (nothing to assert beyond the CONNECTED).
        }

        // The old master comes back as slave of the new one: its own records are set aside, never served.
        master.Kill();
        master.Options = Replicas.SlaveOf(slavePort);
        var rejoinMark = master.OutputLength;
        await master.StartAsync(timeout.Token);
        await Replicas.WaitInSyncAsync(slave, master, timeout.Token);
        var rejoined = await master.GetViewAsync(timeout.Token);
        var folder = Path.Combine(master.DataDirectory, "set-aside");
        var setAsideLine = master.Output[rejoinMark..].Split('\n').FirstOrDefault(l => l.Contains("set aside", StringComparison.Ordinal));
        output.WriteLine($"rejoined: setAside {Replicas.Repl(rejoined, "setAside")}; {setAsideLine}");
        Assert.True(Replicas.Repl(rejoined, "setAside") > 0, $"rejoined: {rejoined}{Environment.NewLine}{master.Describe()}");
        Assert.True(Directory.Exists(folder) && Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Any(),
            $"no files under {folder}{Environment.NewLine}{master.Describe()}");
        var served = Replicas.Bodies(await Replicas.DrainAsync(slavePort, "/queue/split"));
        Assert.Equal(shared, served);
        Assert.DoesNotContain(served, onlyOnMaster.Contains);
    }

    [Fact]
    public async Task StalledSlave_IsDetachedAfterReplicationAckTimeout_AndTheSendIsReceipted()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await using var master = await BrokerProcess.StartAsync(Replicas.Master("--Brokers:b1:ReplicationAckTimeout=00:00:01"), timeout.Token);
        await using var proxy = TcpProxy.Start(master.Port);
        await using var slave = await BrokerProcess.StartAsync(Replicas.SlaveOf(proxy.Port), timeout.Token);
        await Replicas.WaitInSyncAsync(master, slave, timeout.Token);
        await using var client = await DurabilityStomp.ConnectAsync(master.Port);
        await DurabilityStomp.SendPersistentAsync(client, "/queue/stall", "protected", "r0");
        Assert.Equal("RECEIPT", (await client.ReceiveAsync()).Command);

        var mark = master.OutputLength;
        proxy.Stall();
        var clock = Stopwatch.StartNew();
        await DurabilityStomp.SendPersistentAsync(client, "/queue/stall", "stalled", "r1");
        var reply = await client.ReceiveAsync(TimeSpan.FromSeconds(15));
        var elapsed = clock.Elapsed;
        output.WriteLine($"RECEIPT {elapsed.TotalMilliseconds:0} ms after the SEND with the slave stalled (ReplicationAckTimeout 1 s)");
        Assert.Equal("RECEIPT", reply.Command);
        Assert.Equal("r1", reply["receipt-id"]);
        Assert.True(elapsed < TimeSpan.FromSeconds(3), $"the RECEIPT took {elapsed.TotalMilliseconds:0} ms{Environment.NewLine}{master.Describe()}");
        await master.WaitForViewAsync(v => Replicas.State(v) == "master unprotected", TimeSpan.FromSeconds(5), "master unprotected", timeout.Token);
        await master.WaitForOutputAsync("detached", TimeSpan.FromSeconds(5), mark, timeout.Token);
        Assert.Contains("ReplicationAckTimeout", master.Output[mark..], StringComparison.Ordinal);
    }
}
