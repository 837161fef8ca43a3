using System.Text.RegularExpressions;
using BrokerConsole.Tests.Infrastructure;
using Xunit.Abstractions;

namespace BrokerConsole.Tests.Replication;

/// <summary>
/// JDBC master/slave on a real, private PostgreSQL: two broker processes name one database; the lease holder serves,
/// the other waits for the lease. SIGKILL the holder during traffic and the other takes over once the lease expired,
/// with every message the first receipted; a database that goes away stops persistent work (an ERROR, never a
/// receipt) and serving resumes when it is back.
/// </summary>
[Collection("Processes")]
public sealed class DatabaseFailoverTests(ITestOutputHelper output) : IAsyncLifetime
{
    private PrivatePostgres _postgres = null!;
    private string _database = "";

    public async Task InitializeAsync()
    {
        _postgres = await PrivatePostgres.StartAsync();
        // The server trusts every local login, so the password is never checked: it is here to be never logged.
        _database = await _postgres.CreateDatabaseAsync("brokers") + ";Password=" + Secret;
    }

    public async Task DisposeAsync() => await _postgres.DisposeAsync();

    private const string Secret = "s3cret-db-word";

    private string[] Database => ["--Brokers:b1:HaMode=Database", $"--ConnectionStrings:b1={_database}"];

    [Fact]
    public async Task MasterKilledDuringTraffic_TheWaitingBrokerTakesTheLeaseWithEveryReceiptedMessage()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await using var master = await BrokerProcess.StartAsync(new BrokerProcessOptions { Settings = Database }, timeout.Token);
        await using var standby = await BrokerProcess.StartAsync(new BrokerProcessOptions { Settings = Database, Slave = true }, timeout.Token);
        var waiting = await standby.WaitForViewAsync(v => Replicas.State(v) == "waiting for lock" && v.GetProperty("stateReason").GetString()!.Contains("lease held by b1"),
            Replicas.SyncTimeout, "the standby waits for the lease, naming its holder", timeout.Token);
        Assert.Equal("slave", Replicas.Role(waiting));
        Assert.Contains("lease held by b1", waiting.GetProperty("ha").GetProperty("holder").GetString());
        var serving = await master.GetViewAsync(timeout.Token);
        Assert.Equal("master holding lock", Replicas.State(serving));
        Assert.Equal("Database", serving.GetProperty("ha").GetProperty("mode").GetString());
        Assert.Equal($"PostgreSQL 127.0.0.1:{_postgres.Port}/brokers", serving.GetProperty("ha").GetProperty("store").GetString());

        var killed = await Replicas.KillUnderTrafficAsync(master, standby, "/queue/database-failover", timeout.Token);

        output.WriteLine(killed.Summary);
        Assert.True(killed.Problems.Count == 0, $"{string.Join("; ", killed.Problems)}{Environment.NewLine}{Replicas.Describe(standby, master)}");
        // Waiting through the master's renewals (every 250 ms) is one state, said once, not a log line per attempt.
        Assert.True(Regex.Count(standby.Output, "waiting for lock -> waiting for lock") <= 1, standby.Output);
        var view = await standby.GetViewAsync(timeout.Token);
        Assert.Equal("master holding lock", Replicas.State(view));
        Assert.True(view.GetProperty("epoch").GetInt64() >= 2, "each takeover starts an epoch");
    }

    [Fact]
    public async Task DatabaseDown_AtStartItIsNamedAndWaitedFor_WhileServingSendsGetAnError_ThenServingResumes()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await _postgres.StopAsync();
        await using var broker = await BrokerProcess.StartAsync(new BrokerProcessOptions { Settings = Database, Slave = true }, timeout.Token);
        await broker.WaitForViewAsync(v => Replicas.State(v) == "waiting for lock"
                && v.GetProperty("stateReason").GetString()!.Contains($"127.0.0.1:{_postgres.Port}/brokers"),
            Replicas.SyncTimeout, "waiting, naming the database it cannot reach", timeout.Token);
        // The command line (printed by the test harness) carries it; nothing the broker wrote does.
        Assert.DoesNotContain(Secret, string.Join('\n', broker.Output.Split('\n').Where(line => !line.StartsWith("=== run", StringComparison.Ordinal))));

        await _postgres.StartAgainAsync();
        var port = await broker.WaitForStompAsync(Replicas.FailoverTimeout, timeout.Token);
        await using (var client = await DurabilityStomp.ConnectAsync(port))
        {
            await DurabilityStomp.SendPersistentAsync(client, "/queue/kept", "before the outage", "r1");
            Assert.Equal("RECEIPT", (await client.ReceiveAsync(TimeSpan.FromSeconds(10))).Command);
        }

        await _postgres.StopAsync();
        await using (var client = await DurabilityStomp.ConnectAsync(port))
        {
            await DurabilityStomp.SendPersistentAsync(client, "/queue/kept", "during the outage", "r2");
            var answer = await client.ReceiveAsync(TimeSpan.FromSeconds(10));
            Assert.True(answer.Command == "ERROR", DurabilityStomp.Describe(answer));
        }
        await broker.WaitForViewAsync(v => Replicas.State(v) == "waiting for lock", Replicas.SyncTimeout, "stepped down while the database is away", timeout.Token);

        await _postgres.StartAgainAsync();
        port = await broker.WaitForStompAsync(Replicas.FailoverTimeout, timeout.Token);
        var drained = Replicas.Bodies(await Replicas.DrainAsync(port, "/queue/kept"));
        Assert.Contains("before the outage", drained);
        output.WriteLine($"after the outage: {string.Join(", ", drained)}");
    }

    [Fact]
    public async Task PurePairWithAWitness_MasterKilledDuringTraffic_TheSlaveTakesTheLeaseAndEveryReceiptedMessage()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        string[] witness = ["--Brokers:b1:Witness=witness", $"--ConnectionStrings:witness={_database}"];
        await using var master = await BrokerProcess.StartAsync(Replicas.Master(witness), timeout.Token);
        await using var slave = await BrokerProcess.StartAsync(Replicas.SlaveOf(master.Port, witness), timeout.Token);
        await Replicas.WaitInSyncAsync(master, slave, timeout.Token);

        var killed = await Replicas.KillUnderTrafficAsync(master, slave, "/queue/witnessed-failover", timeout.Token);

        output.WriteLine($"{killed.Summary} (the slave waits for the dead master's lease to expire)");
        Assert.True(killed.Problems.Count == 0, $"{string.Join("; ", killed.Problems)}{Environment.NewLine}{Replicas.Describe(slave, master)}");
        Assert.Equal("master", Replicas.Role(await slave.GetViewAsync(timeout.Token)));
        Assert.Contains("Master failed - starting all connectors", slave.Output);
    }

    [Fact]
    public async Task ASchemaNewerThanTheBroker_StopsStartUp_NamingTheDatabaseAndTheVersion()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await _postgres.ExecuteAsync("brokers", "CREATE TABLE broker_schema (version int NOT NULL); INSERT INTO broker_schema VALUES (99)");
        await using var broker = BrokerProcess.Create(new BrokerProcessOptions { Settings = Database });

        Assert.False(await broker.TryStartAsync(timeout.Token), broker.Describe());
        Assert.NotEqual(0, broker.ExitCode);
        Assert.Contains($"PostgreSQL 127.0.0.1:{_postgres.Port}/brokers has schema version 99", broker.Output);
        Assert.DoesNotContain("Unhandled exception", broker.Output);
    }

    [Fact]
    public async Task LeaseRowTakenAway_TheMasterStopsServing_AndServesAgainOnceItIsFree()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await using var master = await BrokerProcess.StartAsync(new BrokerProcessOptions { Settings = Database }, timeout.Token);
        await master.WaitForViewAsync(v => Replicas.State(v) == "master holding lock", Replicas.SyncTimeout, "serving", timeout.Token);

        // Another holder in the row, freshly renewed (an operator's hand, a broker that misread the clock): not this
        // broker's lease any more.
        await _postgres.ExecuteAsync("brokers",
            "UPDATE broker_lease SET holder = 'thief', broker = 'thief', host = 'elsewhere', pid = 1, " +
            "renewed_at = clock_timestamp() + interval '3 seconds', expires_at = clock_timestamp() + interval '4 seconds'");

        await master.WaitForViewAsync(v => Replicas.State(v) == "waiting for lock", Replicas.SyncTimeout, "stepped down", timeout.Token);
        Assert.Contains("lost the lock on the shared store (the lease expired and is no longer this broker's)", master.Output);
        await master.WaitForViewAsync(v => Replicas.State(v) == "waiting for lock" && v.GetProperty("ha").GetProperty("holder").GetString()?.Contains("thief on elsewhere") == true,
            Replicas.SyncTimeout, "naming the holder", timeout.Token);
        // The stolen lease runs out unrenewed: the broker takes it and serves again.
        await master.WaitForViewAsync(v => Replicas.State(v) == "master holding lock", Replicas.SyncTimeout, "serving again", timeout.Token);
    }

    [Fact]
    public async Task PurePairWithAWitness_LinkCutWhileTheMasterLives_OnlyTheMasterTakesWrites()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var token = timeout.Token;
        string[] witness = ["--Brokers:b1:Witness=witness", $"--ConnectionStrings:witness={_database}"];
        var (masterPort, slavePort) = (TestHost.FreePort(), TestHost.FreePort());
        await using var master = await BrokerProcess.StartAsync(Replicas.Master([.. witness, $"--Brokers:b1:Connectors:0=tcp://127.0.0.1:{masterPort}"]), token);
        await using var link = TcpProxy.Start(masterPort);
        await using var slave = await BrokerProcess.StartAsync(Replicas.SlaveOf(link.Port, [.. witness, $"--Brokers:b1:Connectors:0=tcp://127.0.0.1:{slavePort}"]), token);
        await Replicas.WaitInSyncAsync(master, slave, token);

        link.Cut();
        await slave.WaitForViewAsync(v => v.GetProperty("stateReason").GetString()!.Contains("not promoting"), Replicas.FailoverTimeout,
            "the slave says the witness keeps it from promoting", token);

        // Writes during the cut, to both: the master receipts them; nothing listens on the slave's connector.
        var sent = await Replicas.SendAsync(masterPort, "/queue/cut", "during-cut", 20);
        await Assert.ThrowsAnyAsync<System.Net.Sockets.SocketException>(() => DurabilityStomp.ConnectAsync(slavePort));
        Assert.Equal("slave", Replicas.Role(await slave.GetViewAsync(token)));

        link.Heal();
        await Replicas.WaitInSyncAsync(master, slave, token);
        Assert.Equal(sent, Replicas.Bodies(await Replicas.DrainAsync(masterPort, "/queue/cut")));
    }
}
