using System.Globalization;
using BrokerConsole.Tests.Infrastructure;

namespace BrokerConsole.Tests.Interop;

/// <summary>
/// ActiveMQ's scheduled delivery as stomp.py (Debian's python3-stomp) uses it, driving tests/interop/scheduling_check.py:
/// a delay is respected, repeat and period deliver repeat + 1 times, a bad header is an ERROR naming it, and a
/// scheduled message survives a SIGKILL of a single broker (restarted on its journal) and of the master of a pair
/// (the slave delivers it).
/// </summary>
[Collection("Processes")]
public sealed class SchedulingInteropTests
{
    private const string Python = "/usr/bin/python3";
    private const string Script = "scheduling_check.py";
    private static readonly Lazy<Task<string?>> PythonProblem = new(() =>
        InteropScripts.FindProblemAsync(Python, ["-c", "import stomp"], "Debian's python3-stomp"));

    [Theory]
    [InlineData("delay")]
    [InlineData("repeat")]
    [InlineData("badheader")]
    public async Task StompPy_ScheduledScenario_BehavesAsActiveMq(string scenario)
    {
        InteropScripts.RequireNoProblem(await PythonProblem.Value);
        await using var host = await TestHost.StartAsync();
        await InteropScripts.RunAsync(Python, Script, "127.0.0.1", Port(host.StompPort()), scenario);
    }

    [Fact]
    public async Task ScheduledMessage_SurvivesSigkillAndRestart()
    {
        InteropScripts.RequireNoProblem(await PythonProblem.Value);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await using var broker = await BrokerProcess.StartAsync(cancellationToken: timeout.Token);
        var (destination, body) = ("/queue/scheduled-restart", $"survives-{Guid.NewGuid():N}");

        await InteropScripts.RunAsync(Python, Script, "127.0.0.1", Port(broker.Port), "schedule", destination, body, "3000", "0", "0");
        broker.Kill();
        await broker.StartAsync(timeout.Token);

        await InteropScripts.RunAsync(Python, Script, "127.0.0.1", Port(broker.Port), "expect", destination, body, "20");
        Assert.Contains("1 scheduled jobs", broker.Output, StringComparison.Ordinal);
    }

    /// <summary>
    /// Killed between deliveries of a repeating job: after the restart it goes on from where it was, each occurrence
    /// once (the first is not delivered again, the next ones keep the ids they would have had).
    /// </summary>
    [Fact]
    public async Task RepeatingJob_KilledBetweenDeliveries_ResumesWithoutRepeatingOne()
    {
        InteropScripts.RequireNoProblem(await PythonProblem.Value);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await using var broker = await BrokerProcess.StartAsync(cancellationToken: timeout.Token);
        var (destination, body) = ("/queue/scheduled-repeat-restart", $"repeat-{Guid.NewGuid():N}");

        // Deliveries at 1 s, 4 s and 7 s after the send.
        await InteropScripts.RunAsync(Python, Script, "127.0.0.1", Port(broker.Port), "schedule", destination, body, "1000", "3000", "2");
        await InteropScripts.RunAsync(Python, Script, "127.0.0.1", Port(broker.Port), "occurrences", destination, body, "0", "1", "10");
        broker.Kill();
        await broker.StartAsync(timeout.Token);

        await InteropScripts.RunAsync(Python, Script, "127.0.0.1", Port(broker.Port), "occurrences", destination, body, "1", "2", "20");
    }

    [Fact]
    public async Task ScheduledMessage_MasterKilled_SlaveDeliversIt()
    {
        InteropScripts.RequireNoProblem(await PythonProblem.Value);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(150));
        await using var master = await BrokerProcess.StartAsync(Replicas.Master(), timeout.Token);
        await using var slave = await BrokerProcess.StartAsync(Replicas.SlaveOf(master.Port), timeout.Token);
        await Replicas.WaitInSyncAsync(master, slave, timeout.Token);
        var (destination, body) = ("/queue/scheduled-failover", $"failover-{Guid.NewGuid():N}");

        // Receipted only once the slave has the job too (the pair is in sync).
        await InteropScripts.RunAsync(Python, Script, "127.0.0.1", Port(master.Port), "schedule", destination, body, "4000", "0", "0");
        master.Kill();
        var port = await slave.WaitForStompAsync(Replicas.FailoverTimeout, timeout.Token);

        await InteropScripts.RunAsync(Python, Script, "127.0.0.1", Port(port), "expect", destination, body, "20");
    }

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);
}
