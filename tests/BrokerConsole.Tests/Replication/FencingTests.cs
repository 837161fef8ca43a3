using BrokerConsole.Tests.Infrastructure;

namespace BrokerConsole.Tests.Replication;

[Collection("Processes")]
public sealed class FencingTests
{
    [Fact]
    public async Task FormerMasterWithPeer_RestartsAsSlaveOfTheNewMaster_NotASecondMaster()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var token = timeout.Token;
        await using var master = await BrokerProcess.StartAsync(Replicas.Master(), token);
        await using var slave = await BrokerProcess.StartAsync(Replicas.SlaveOf(master.Port), token);
        await Replicas.WaitInSyncAsync(master, slave, token);
        var sent = await Replicas.SendAsync(master.Port, "/queue/fenced", "before", 50);

        master.Kill();
        var newMasterPort = await slave.WaitForStompAsync(Replicas.FailoverTimeout, token);
        var after = await Replicas.SendAsync(newMasterPort, "/queue/fenced", "after", 20);
        master.Options = Replicas.Master([.. Replicas.Credentials, $"--Brokers:b1:Peer={slave.HttpBase}", "--Brokers:b1:PeerTimeout=00:00:05"]) with { Slave = true };
        await master.StartAsync(token);

        var rejoined = await master.WaitForViewAsync(v => Replicas.State(v) == "slave in sync", Replicas.SyncTimeout, "slave in sync", token);
        Assert.Equal("slave", Replicas.Role(rejoined));
        Assert.Contains("rejoining it as slave", master.Output);
        await slave.WaitForViewAsync(v => Replicas.State(v) == "master protected", Replicas.SyncTimeout, "master protected", token);
        Assert.Equal([.. sent, .. after], Replicas.Bodies(await Replicas.DrainAsync(newMasterPort, "/queue/fenced")));
    }

    [Fact]
    public async Task Peer_RefusingTheReplicationCredentials_StopsStartUp_NamingTheKeys()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await using var peer = await BrokerProcess.StartAsync(Replicas.Master(), timeout.Token);
        await peer.GetViewAsync(timeout.Token);

        await using var broker = BrokerProcess.Create(Replicas.Master(
            "--Replication:UserName=replicator", "--Replication:Password=wrong", $"--Brokers:b1:Peer={peer.HttpBase}"));

        Assert.False(await broker.TryStartAsync(timeout.Token), broker.Describe());
        Assert.NotEqual(0, broker.ExitCode);
        Assert.Contains("Replication:UserName and Replication:Password", broker.Output, StringComparison.Ordinal);
    }
}
