using System.Diagnostics;
using System.Text.RegularExpressions;
using BrokerConsole.Tests.Infrastructure;
using Xunit.Abstractions;

namespace BrokerConsole.Tests.Replication;

/// <summary>A slave that attaches late, or dies and comes back, catches up and then protects every send.</summary>
[Collection("Processes")]
public sealed partial class ResyncTests(ITestOutputHelper output)
{
    private const string MasterFailed = "Master failed - starting all connectors";

    [Fact]
    public async Task LateSlave_CatchesUpALongBacklogWhileSendsContinue()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(150));
        await using var master = await BrokerProcess.StartAsync(Replicas.Master(), timeout.Token);
        var clock = Stopwatch.StartNew();
        var backlog = await Replicas.SendAsync(master.Port, "/queue/backlog", "backlog", 5000, window: 128);
        output.WriteLine($"5,000 persistent messages receipted by the lone master in {clock.ElapsedMilliseconds} ms");
        var alone = await master.GetViewAsync(timeout.Token);
        Assert.Equal("master unprotected", Replicas.State(alone));
        Assert.True(Replicas.Repl(alone, "unreplicated") >= 5000, $"unreplicated: {alone}");

        // The slave starts while a producer keeps going.
        var traffic = new Traffic();
        using var stopProducer = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
        var producer = traffic.ProduceAsync(master.Port, "/queue/backlog", "during", stopProducer.Token);
        await traffic.Flowing.Task.WaitAsync(TimeSpan.FromSeconds(20), timeout.Token);
        clock.Restart();
        await using var slave = await BrokerProcess.StartAsync(Replicas.SlaveOf(master.Port), timeout.Token);
        var states = new List<string>();
        await slave.WaitForViewAsync(v =>
        {
            var state = Replicas.State(v);
            if (states.Count == 0 || states[^1] != state)
            {
                states.Add($"{state} ({Replicas.Repl(v, "lastSequence")}/{Replicas.Repl(v, "partnerSequence")})");
            }
            return state == "slave in sync";
        }, Replicas.SyncTimeout, "slave in sync", timeout.Token);
        await master.WaitForViewAsync(v => Replicas.State(v) == "master protected", Replicas.SyncTimeout, "master protected", timeout.Token);
        output.WriteLine($"slave in sync and master protected {clock.ElapsedMilliseconds} ms after the slave's start; slave states seen: {string.Join(" -> ", states)}");
        await stopProducer.CancelAsync();
        await producer.WaitAsync(TimeSpan.FromSeconds(40), timeout.Token);
        Assert.True(traffic.Unexpected.IsEmpty, string.Join(" | ", traffic.Unexpected));
        // A send receipted now waits for the slave, so everything before it is there too.
        var fence = await Replicas.SendAsync(master.Port, "/queue/backlog", "fence", 1);

        var (port, drained) = await FailOverAsync(master, slave, "/queue/backlog", timeout.Token);
        var missing = backlog.Concat(traffic.Receipted.Keys).Concat(fence).Except(drained).ToList();
        output.WriteLine($"{traffic.Summary} while the slave caught up; the promoted slave (port {port}) delivered {drained.Count}");
        Assert.True(missing.Count == 0, $"{missing.Count} receipted messages missing after failover, e.g. {string.Join(", ", missing.Take(10))}{Environment.NewLine}{Replicas.Describe(slave, master)}");
        Assert.Equal(drained.Count, drained.Distinct().Count());
    }

    [Fact]
    public async Task SlaveKilledAndRestarted_ResyncsFromItsLastSequence()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(150));
        await using var master = await BrokerProcess.StartAsync(Replicas.Master(), timeout.Token);
        await using var slave = await BrokerProcess.StartAsync(Replicas.SlaveOf(master.Port), timeout.Token);
        await Replicas.WaitInSyncAsync(master, slave, timeout.Token);
        var before = await Replicas.SendAsync(master.Port, "/queue/slave-dies", "before", 200);
        var slaveHeld = Replicas.Repl(await slave.GetViewAsync(timeout.Token), "lastSequence");

        slave.Kill();
        await master.WaitForViewAsync(v => Replicas.State(v) == "master unprotected", TimeSpan.FromSeconds(10), "master unprotected", timeout.Token);
        // WhenUnprotected: Continue (the default): sends are still receipted.
        var alone = await Replicas.SendAsync(master.Port, "/queue/slave-dies", "alone", 300);
        var unprotected = await master.GetViewAsync(timeout.Token);
        Assert.True(Replicas.Repl(unprotected, "unreplicated") >= 300, $"unreplicated after 300 sends alone: {unprotected}");

        var mark = master.OutputLength;
        await slave.StartAsync(timeout.Token);
        await Replicas.WaitInSyncAsync(master, slave, timeout.Token);
        await master.WaitForOutputAsync("resyncing from sequence", TimeSpan.FromSeconds(5), mark, timeout.Token);
        var attached = ResyncLine().Match(master.Output[mark..]);
        output.WriteLine($"slave held {slaveHeld} when killed; master logged: {attached.Value}");
        Assert.True(attached.Success, master.Output[mark..]);
        Assert.Equal("tail", attached.Groups[2].Value);
        Assert.Equal(slaveHeld + 1, long.Parse(attached.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        var after = await Replicas.SendAsync(master.Port, "/queue/slave-dies", "after", 100);

        var (_, drained) = await FailOverAsync(master, slave, "/queue/slave-dies", timeout.Token);
        Assert.Equal([.. before, .. alone, .. after], drained);
    }

    /// <summary>SIGKILL the master, wait for the slave's promotion and drain <paramref name="destination"/> from it.</summary>
    private async Task<(int Port, List<string> Bodies)> FailOverAsync(BrokerProcess master, BrokerProcess slave, string destination, CancellationToken cancellationToken)
    {
        var mark = slave.OutputLength;
        var clock = Stopwatch.StartNew();
        master.Kill();
        await slave.WaitForOutputAsync(MasterFailed, Replicas.FailoverTimeout, mark, cancellationToken);
        var port = await slave.WaitForStompAsync(Replicas.FailoverTimeout, cancellationToken);
        output.WriteLine($"SIGKILL -> slave accepts STOMP CONNECT: {clock.ElapsedMilliseconds} ms");
        return (port, Replicas.Bodies(await Replicas.DrainAsync(port, destination)));
    }

    [GeneratedRegex(@"resyncing from sequence (\d+) \((\w+)\)")]
    private static partial Regex ResyncLine();
}
