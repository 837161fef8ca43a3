using System.Globalization;
using BrokerConsole.Tests.Infrastructure;

namespace BrokerConsole.Tests.Interop;

/// <summary>
/// ActiveMQ's consumer-side features (message groups, exclusive consumers, consumer priority, selectors) as
/// stomp.py (Debian's python3-stomp) uses them: tests/interop/dispatch_check.py, against the real host and, across a
/// SIGKILL, against a replicated pair.
/// </summary>
[Collection("Processes")]
public sealed class DispatchInteropTests
{
    private const string Python = "/usr/bin/python3";
    private const string Script = "dispatch_check.py";
    private static readonly Lazy<Task<string?>> PythonProblem = new(() =>
        InteropScripts.FindProblemAsync(Python, ["-c", "import stomp"], "Debian's python3-stomp"));

    [Theory]
    [InlineData("groups")]
    [InlineData("exclusive")]
    [InlineData("priority")]
    [InlineData("selector-queue")]
    [InlineData("selector-topic")]
    [InlineData("selector-bad")]
    [InlineData("durable-delete")]
    public async Task StompPy_Scenario_Succeeds(string scenario)
    {
        InteropScripts.RequireNoProblem(await PythonProblem.Value);
        await using var host = await TestHost.StartAsync();

        await RunAsync(host.StompPort(), scenario);
    }

    /// <summary>What the phases before the kill left on the master is served by the promoted slave as the last phase expects.</summary>
    [Theory]
    [InlineData("groups-send", "groups-drain")]
    [InlineData("durable-selector-subscribe,durable-selector-send", "durable-selector-drain")]
    public async Task StompPy_AcrossMasterKill_Succeeds(string before, string after)
    {
        InteropScripts.RequireNoProblem(await PythonProblem.Value);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(150));
        await using var master = await BrokerProcess.StartAsync(Replicas.Master(), timeout.Token);
        await using var slave = await BrokerProcess.StartAsync(Replicas.SlaveOf(master.Port), timeout.Token);
        await Replicas.WaitInSyncAsync(master, slave, timeout.Token);

        foreach (var phase in before.Split(','))
        {
            await RunAsync(master.Port, phase);
        }
        master.Kill();
        var port = await slave.WaitForStompAsync(Replicas.FailoverTimeout, timeout.Token);
        await RunAsync(port, after);
    }

    /// <summary>A durable subscription's selector survives a SIGKILL and restart of a single broker.</summary>
    [Fact]
    public async Task StompPy_DurableSelector_SurvivesKillAndRestart()
    {
        InteropScripts.RequireNoProblem(await PythonProblem.Value);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await using var broker = await BrokerProcess.StartAsync(cancellationToken: timeout.Token);

        await RunAsync(broker.Port, "durable-selector-subscribe");
        await RunAsync(broker.Port, "durable-selector-send");
        broker.Kill();
        await broker.StartAsync(timeout.Token);
        await RunAsync(broker.Port, "durable-selector-drain");
    }

    private static Task RunAsync(int port, string scenario) =>
        InteropScripts.RunAsync(Python, Script, "127.0.0.1", port.ToString(CultureInfo.InvariantCulture), scenario);
}
