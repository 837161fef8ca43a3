using System.Globalization;
using BrokerConsole.Tests.Infrastructure;

namespace BrokerConsole.Tests.Interop;

/// <summary>
/// ActiveMQ's destination features (wildcards, composite destinations, virtual topics, advisories) driven by
/// Debian's stomp.py against the real host, one scenario of tests/interop/routing_check.py each.
/// </summary>
[Collection("Processes")]
public sealed class RoutingInteropTests
{
    private const string Python = "/usr/bin/python3";
    private static readonly Lazy<Task<string?>> PythonProblem = new(() =>
        InteropScripts.FindProblemAsync(Python, ["-c", "import stomp"], "Debian's python3-stomp"));

    [Theory]
    [InlineData("wildcard_topic")]
    [InlineData("wildcard_queue")]
    [InlineData("composite")]
    [InlineData("virtual_topic")]
    [InlineData("advisory")]
    public async Task StompPy_RoutingScenario_Succeeds(string scenario)
    {
        InteropScripts.RequireNoProblem(await PythonProblem.Value);
        await using var host = await TestHost.StartAsync();

        var port = host.StompPort().ToString(CultureInfo.InvariantCulture);
        await InteropScripts.RunAsync(Python, "routing_check.py", "127.0.0.1", port, scenario);
    }
}
