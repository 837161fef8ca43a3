using System.Net;

namespace BrokerConsole.Tests.Replication;

/// <summary>Planned switchover, failback and fencing a live master at promotion, with two real processes.</summary>
[Collection("Processes")]
public sealed class SwitchoverTests
{
    [Fact]
    public async Task Switchover_SwapsRoles_TellsClientsToReconnect_AndLosesNoReceiptedMessage()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(150));
        var token = timeout.Token;
        await using var master = await BrokerProcess.StartAsync(Replicas.Master(), token);
        await using var slave = await BrokerProcess.StartAsync(SlaveOnOwnPort(master.Port), token);
        await Replicas.WaitInSyncAsync(master, slave, token);
        var before = await Replicas.SendAsync(master.Port, "/queue/switch", "before", 100);
        var epochBefore = Replicas.Epoch(await master.GetViewAsync(token));

        // A producer sends one message at a time until the master tells it to go.
        await using var producer = await DurabilityStomp.ConnectAsync(master.Port);
        var receipted = new List<string>();
        var producing = Task.Run(async () =>
        {
            for (var i = 1; ; i++)
            {
                var body = $"during-{i}";
                await DurabilityStomp.SendPersistentAsync(producer, "/queue/switch", body, receipt: body);
                var reply = await producer.ReceiveAsync(TimeSpan.FromSeconds(30));
                if (reply.Command != "RECEIPT")
                {
                    return reply;
                }
                receipted.Add(body);
            }
        }, token);
        while (receipted.Count < 20 && !producing.IsCompleted)
        {
            await Task.Delay(10, token);
        }

        var answer = await master.ActAsync("switchover", token);
        Assert.True(answer.StatusCode == HttpStatusCode.OK, $"{answer.StatusCode}: {await answer.Content.ReadAsStringAsync(token)}");

        var farewell = await producing.WaitAsync(TimeSpan.FromSeconds(30), token);
        Assert.Equal("ERROR", farewell.Command);
        Assert.Equal("switchover", farewell["message"]);
        Assert.Equal("true", farewell["reconnect"]);
        var promoted = await slave.WaitForViewAsync(v => Replicas.State(v) == "master protected", Replicas.SyncTimeout, "new master protected", token);
        var demoted = await master.WaitForViewAsync(v => Replicas.State(v) == "slave in sync", Replicas.SyncTimeout, "old master in sync as slave", token);
        Assert.Equal("master", Replicas.Role(promoted));
        Assert.Equal("slave", Replicas.Role(demoted));
        Assert.True(Replicas.Epoch(promoted) > epochBefore, promoted.ToString());
        Assert.Contains("Switchover", master.Output + slave.Output, StringComparison.OrdinalIgnoreCase);

        // Every receipted message is on the new master, once.
        var drained = Replicas.Bodies(await Replicas.DrainAsync(slave.Port, "/queue/switch"));
        Assert.Equal(drained.Count, drained.Distinct().Count());
        Assert.Empty(before.Concat(receipted).Except(drained));

        // And back again, asked of the slave this time.
        var back = await master.ActAsync("switchover", token);
        Assert.True(back.StatusCode == HttpStatusCode.OK, $"{back.StatusCode}: {await back.Content.ReadAsStringAsync(token)}");
        await Replicas.WaitInSyncAsync(master, slave, token);
        var backAgain = await master.GetViewAsync(token);
        Assert.Equal("master", Replicas.Role(backAgain));
        // Every promotion a new epoch, even one that never wrote a record before the next.
        Assert.True(Replicas.Epoch(backAgain) > Replicas.Epoch(promoted), $"epochs: {Replicas.Epoch(promoted)} then {Replicas.Epoch(backAgain)}");
    }

    [Fact]
    public async Task Switchover_WithoutASlaveInSync_IsRefusedWithTheReason()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await using var master = await BrokerProcess.StartAsync(Replicas.Master(), timeout.Token);
        await master.GetViewAsync(timeout.Token);

        var answer = await master.ActAsync("switchover", timeout.Token);

        Assert.Equal(HttpStatusCode.Conflict, answer.StatusCode);
        Assert.Contains("no slave in sync", await answer.Content.ReadAsStringAsync(timeout.Token));
        Assert.Equal("master", Replicas.Role(await master.GetViewAsync(timeout.Token)));
        Assert.Equal(2, (await Replicas.SendAsync(master.Port, "/queue/still", "m", 2)).Count);
    }

    [Fact]
    public async Task PromotingTheSlave_WhileTheMasterLives_FencesTheMaster_WhichRejoinsAsSlave()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(150));
        var token = timeout.Token;
        await using var master = await BrokerProcess.StartAsync(Replicas.Master(), token);
        await using var slave = await BrokerProcess.StartAsync(SlaveOnOwnPort(master.Port), token);
        await Replicas.WaitInSyncAsync(master, slave, token);
        var sent = await Replicas.SendAsync(master.Port, "/queue/fence", "m", 50);
        await using var bystander = await DurabilityStomp.ConnectAsync(master.Port);

        var answer = await slave.ActAsync("promote", token);
        Assert.True(answer.StatusCode == HttpStatusCode.OK, $"{answer.StatusCode}: {await answer.Content.ReadAsStringAsync(token)}");

        var farewell = await bystander.ReceiveAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("ERROR", farewell.Command);
        Assert.Equal("true", farewell["reconnect"]);
        await master.WaitForViewAsync(v => Replicas.State(v) == "slave in sync", Replicas.SyncTimeout, "fenced master in sync as slave", token);
        await slave.WaitForViewAsync(v => Replicas.State(v) == "master protected", Replicas.SyncTimeout, "promoted slave protected", token);
        Assert.Equal(sent, Replicas.Bodies(await Replicas.DrainAsync(slave.Port, "/queue/fence")));
    }

    [Fact]
    public async Task FormerMaster_WithAllowFailback_RejoinsThenTakesItsRoleBack()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(150));
        var token = timeout.Token;
        await using var master = await BrokerProcess.StartAsync(Replicas.Master(), token);
        await using var slave = await BrokerProcess.StartAsync(SlaveOnOwnPort(master.Port), token);
        await Replicas.WaitInSyncAsync(master, slave, token);
        var before = await Replicas.SendAsync(master.Port, "/queue/failback", "before", 30);

        master.Kill();
        var newMasterPort = await slave.WaitForStompAsync(Replicas.FailoverTimeout, token);
        var during = await Replicas.SendAsync(newMasterPort, "/queue/failback", "during", 30);
        master.Options = Replicas.Master([.. Replicas.Credentials, $"--Brokers:b1:Peer={slave.HttpBase}",
            "--Brokers:b1:PeerTimeout=00:00:05", "--Brokers:b1:AllowFailback=true"]) with { Slave = true };
        await master.StartAsync(token);

        await master.WaitForViewAsync(v => Replicas.State(v) == "master protected", Replicas.SyncTimeout, "failed back to master", token);
        await slave.WaitForViewAsync(v => Replicas.State(v) == "slave in sync", Replicas.SyncTimeout, "partner back to slave", token);
        var port = await master.WaitForStompAsync(Replicas.FailoverTimeout, token);
        Assert.Equal([.. before, .. during], Replicas.Bodies(await Replicas.DrainAsync(port, "/queue/failback")));
    }

    [Fact]
    public async Task LinkCut_MasterWithPeer_LearnsOfTheLaterEpoch_StopsServing_AndRejoinsAsSlave()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(150));
        var token = timeout.Token;
        var slaveHttp = new Uri($"http://127.0.0.1:{TestHost.FreePort()}");
        await using var master = await BrokerProcess.StartAsync(Replicas.Master(
            [.. Replicas.Credentials, $"--Brokers:b1:Peer={slaveHttp}", "--Brokers:b1:PeerTimeout=00:00:01"]), token);
        await using var proxy = TcpProxy.Start(master.Port);
        var slaveOptions = SlaveOnOwnPort(proxy.Port);
        await using var slave = await BrokerProcess.StartAsync(slaveOptions with { Settings = [.. slaveOptions.Settings, $"--urls={slaveHttp}"] }, token);
        await Replicas.WaitInSyncAsync(master, slave, token);
        var shared = await Replicas.SendAsync(master.Port, "/queue/watched", "shared", 40);
        await using var bystander = await DurabilityStomp.ConnectAsync(master.Port);

        proxy.Cut();

        // The slave takes over; the old master hears of it from the peer, not from the (cut) link.
        var farewell = await bystander.ReceiveAsync(Replicas.SyncTimeout);
        Assert.Equal("true", farewell["reconnect"]);
        await master.WaitForViewAsync(v => Replicas.State(v) == "slave in sync", Replicas.SyncTimeout, "old master in sync as slave", token);
        await slave.WaitForViewAsync(v => Replicas.State(v) == "master protected", Replicas.SyncTimeout, "new master protected", token);
        Assert.Contains("later epoch", master.Output);
        Assert.Equal(shared, Replicas.Bodies(await Replicas.DrainAsync(slave.Port, "/queue/watched")));
    }

    /// <summary>
    /// A slave whose connector has a fixed port, so that a fenced or demoted partner knows where to rejoin it;
    /// with a master timeout that a busy machine's pauses do not reach (these tests are not about failure detection).
    /// </summary>
    private static BrokerProcessOptions SlaveOnOwnPort(int masterPort)
    {
        var options = Replicas.SlaveOf(masterPort);
        return options with
        {
            Settings = [.. options.Settings, $"--Brokers:b1:Connectors:0=tcp://127.0.0.1:{TestHost.FreePort()}", "--Brokers:b1:MasterTimeout=00:00:03"],
        };
    }
}
