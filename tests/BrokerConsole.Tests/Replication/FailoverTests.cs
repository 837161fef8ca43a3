using System.Diagnostics;
using BrokerConsole.Tests.Infrastructure;
using Xunit.Abstractions;

namespace BrokerConsole.Tests.Replication;

/// <summary>
/// Master and slave as two processes: SIGKILL the master while producers and a consumer are busy; the slave
/// takes over, and what it serves keeps the promise of the master's receipts. Then the old master rejoins.
/// </summary>
[Collection("Processes")]
public sealed class FailoverTests(ITestOutputHelper output)
{
    private const string MasterFailed = "Master failed - starting all connectors";

    [Fact]
    public async Task MasterKilledDuringTraffic_SlaveTakesOverWithEveryReceiptedMessage()
    {
        var rounds = int.TryParse(Environment.GetEnvironmentVariable("BROKER_FAILOVER_ROUNDS"), out var configured) && configured > 0 ? configured : 3;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60 + (rounds * 60)));
        var random = new Random(20250612);
        var timings = new List<double>();
        for (var round = 1; round <= rounds; round++)
        {
            var (failover, _) = await FailoverRoundAsync(round, random, rejoin: false, timeout.Token);
            timings.Add(failover.TotalMilliseconds);
        }
        output.WriteLine($"SIGKILL -> slave accepts STOMP CONNECT: {string.Join(", ", timings.Select(t => $"{t:0} ms"))} " +
            $"(min {timings.Min():0}, max {timings.Max():0}, mean {timings.Average():0} ms)");
    }

    [Fact]
    public async Task OldMaster_RestartedAsSlaveOfTheNewMaster_ResyncsAndReplicates()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(150));
        await FailoverRoundAsync(1, new Random(7), rejoin: true, timeout.Token);
    }

    /// <summary>One pair, one kill, one check; with <paramref name="rejoin"/> the old master then comes back as slave.</summary>
    private async Task<(TimeSpan Failover, int Drained)> FailoverRoundAsync(int round, Random random, bool rejoin, CancellationToken cancellationToken)
    {
        await using var master = await BrokerProcess.StartAsync(Replicas.Master(), cancellationToken);
        await using var slave = await BrokerProcess.StartAsync(Replicas.SlaveOf(master.Port), cancellationToken);
        await Replicas.WaitInSyncAsync(master, slave, cancellationToken);
        var masterEpoch = Replicas.Epoch(await master.GetViewAsync(cancellationToken));

        var destination = $"/queue/failover-{round}";
        var traffic = new Traffic();
        using var stopClients = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var consumer = traffic.ConsumeAsync(master.Port, destination, stopClients.Token);
        var producers = Enumerable.Range(1, 2).Select(p => traffic.ProduceAsync(master.Port, destination, $"r{round}-p{p}", stopClients.Token)).ToList();
        await traffic.Flowing.Task.WaitAsync(TimeSpan.FromSeconds(20), cancellationToken);
        var delay = random.Next(100, 801);
        await Task.Delay(delay, cancellationToken);

        var mark = slave.OutputLength;
        var clock = Stopwatch.StartNew();
        master.Kill();
        await slave.WaitForOutputAsync(MasterFailed, Replicas.FailoverTimeout, mark, cancellationToken);
        var logged = clock.Elapsed;
        var port = await slave.WaitForStompAsync(Replicas.FailoverTimeout, cancellationToken);
        var failover = clock.Elapsed;
        await Task.WhenAll([consumer, .. producers]).WaitAsync(TimeSpan.FromSeconds(40), cancellationToken);
        await stopClients.CancelAsync();

        var drained = await Replicas.DrainAsync(port, destination);
        output.WriteLine($"round {round}: kill after {delay} ms; {traffic.Summary}; slave drained {drained.Count}; " +
            $"'{MasterFailed}' after {logged.TotalMilliseconds:0} ms, STOMP CONNECT accepted after {failover.TotalMilliseconds:0} ms");
        var problems = traffic.Check(drained);
        Assert.True(problems.Count == 0, $"round {round} (kill after {delay} ms): {string.Join("; ", problems)}{Environment.NewLine}{Replicas.Describe(slave, master)}");
        var promoted = await slave.GetViewAsync(cancellationToken);
        Assert.Equal("master", Replicas.Role(promoted));
        Assert.True(Replicas.Epoch(promoted) > masterEpoch, $"the promoted slave's epoch is not above the master's ({masterEpoch}): {promoted}");

        if (rejoin)
        {
            await RejoinAsync(master, slave, port, promoted, cancellationToken);
        }
        return (failover, drained.Count);
    }

    /// <summary>The old master on its own data as slave of the new one: resync (divergent records set aside), in sync, replicating.</summary>
    private async Task RejoinAsync(BrokerProcess oldMaster, BrokerProcess newMaster, int newMasterPort, System.Text.Json.JsonElement promoted, CancellationToken cancellationToken)
    {
        oldMaster.Options = Replicas.SlaveOf(newMasterPort);
        var mark = newMaster.OutputLength;
        await oldMaster.StartAsync(cancellationToken);
        await Replicas.WaitInSyncAsync(newMaster, oldMaster, cancellationToken);
        await newMaster.WaitForOutputAsync("resyncing from sequence", TimeSpan.FromSeconds(5), mark, cancellationToken);

        var rejoined = await oldMaster.GetViewAsync(cancellationToken);
        var setAside = Replicas.Repl(rejoined, "setAside");
        var folder = Path.Combine(oldMaster.DataDirectory, "set-aside");
        var folderHasFiles = Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any();
        output.WriteLine($"rejoined as slave: setAside {setAside}, set-aside folder {(folderHasFiles ? "present" : "absent")}; " +
            $"new master's log: {string.Join(" | ", newMaster.Output[mark..].Split('\n').Where(l => l.Contains("resyncing", StringComparison.Ordinal)))}");
        Assert.Equal("slave", Replicas.Role(rejoined));
        Assert.True(setAside > 0 == folderHasFiles, $"setAside {setAside} but the set-aside folder is {(folderHasFiles ? "not empty" : "empty or missing")}{Environment.NewLine}{oldMaster.Describe()}");

        // Sends to the new master are replicated to the old one.
        var after = await Replicas.SendAsync(newMasterPort, "/queue/after-rejoin", "after", 200);
        var last = Replicas.Repl(await newMaster.GetViewAsync(cancellationToken), "lastSequence");
        Assert.True(last > Replicas.Repl(promoted, "lastSequence"), "the new master's sequence did not move");
        var masterView = await newMaster.WaitForViewAsync(v => Replicas.Repl(v, "partnerSequence") >= last && Replicas.State(v) == "master protected",
            TimeSpan.FromSeconds(10), $"acked by the slave up to {last}", cancellationToken);
        var slaveView = await oldMaster.WaitForViewAsync(v => Replicas.Repl(v, "lastSequence") >= last, TimeSpan.FromSeconds(10),
            $"holding sequence {last}", cancellationToken);
        output.WriteLine($"after 200 sends: new master last {Replicas.Repl(masterView, "lastSequence")} partner {Replicas.Repl(masterView, "partnerSequence")}; " +
            $"old master (slave) last {Replicas.Repl(slaveView, "lastSequence")} partner {Replicas.Repl(slaveView, "partnerSequence")}");
        Assert.Equal(Replicas.Repl(masterView, "lastSequence"), Replicas.Repl(masterView, "partnerSequence"));

        // And the old master can take over again with them.
        var slaveMark = oldMaster.OutputLength;
        newMaster.Kill();
        await oldMaster.WaitForOutputAsync(MasterFailed, Replicas.FailoverTimeout, slaveMark, cancellationToken);
        var port = await oldMaster.WaitForStompAsync(Replicas.FailoverTimeout, cancellationToken);
        var drained = Replicas.Bodies(await Replicas.DrainAsync(port, "/queue/after-rejoin"));
        Assert.Equal(after, drained);
    }
}
