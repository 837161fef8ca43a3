using System.Globalization;
using BrokerConsole.Tests.Infrastructure;

namespace BrokerConsole.Tests.Interop;

/// <summary>
/// Independent STOMP clients against the real host: stomp.py (Debian's python3-stomp) over TCP and
/// @stomp/stompjs with `ws` over WebSocket, each running a scenario script from tests/interop.
/// Their dependencies are installed by ./test.sh; when they are missing these tests fail, they never skip.
/// </summary>
[Collection("Processes")]
public sealed class InteropTests
{
    private const string Python = "/usr/bin/python3";
    private const string Node = "node";
    private static readonly Lazy<Task<string?>> PythonProblem = new(FindPythonProblemAsync);
    private static readonly Lazy<Task<string?>> NodeProblem = new(FindNodeProblemAsync);

    [Theory]
    [InlineData("roundtrip")]
    [InlineData("v11")]
    [InlineData("v10")]
    [InlineData("binary")]
    [InlineData("transaction")]
    [InlineData("nack")]
    [InlineData("durable")]
    [InlineData("badlogin")]
    public async Task StompPy_ScenarioOverTcp_Succeeds(string scenario)
    {
        InteropScripts.RequireNoProblem(await PythonProblem.Value);
        await using var host = await TestHost.StartAsync();

        var port = host.StompPort().ToString(CultureInfo.InvariantCulture);
        await InteropScripts.RunAsync(Python, "stomp_py_check.py", "127.0.0.1", port, scenario);
    }

    [Theory]
    [InlineData("roundtrip")]
    [InlineData("binary")]
    [InlineData("receipt")]
    [InlineData("transaction")]
    [InlineData("badlogin")]
    public async Task StompJs_ScenarioOverWebSocket_Succeeds(string scenario)
    {
        InteropScripts.RequireNoProblem(await NodeProblem.Value);
        await using var host = await TestHost.StartAsync();

        var url = new UriBuilder(host.HttpUri) { Scheme = "ws", Path = "/brokers/b1/stomp" }.Uri.ToString();
        await InteropScripts.RunAsync(Node, "stompjs_check.mjs", url, scenario);
    }

    private static Task<string?> FindPythonProblemAsync() =>
        InteropScripts.FindProblemAsync(Python, ["-c", "import stomp"], "Debian's python3-stomp");

    private static async Task<string?> FindNodeProblemAsync()
    {
        foreach (var package in new[] { "@stomp/stompjs", "ws" })
        {
            var folder = Path.Combine(InteropScripts.Directory, "node_modules", package);
            if (!Directory.Exists(folder))
            {
                return $"{folder} is missing (npm packages of tests/interop not installed).";
            }
        }
        try
        {
            var result = await ChildProcess.RunAsync(Node, ["--version"], TimeSpan.FromSeconds(30));
            return result.ExitCode == 0 ? null : $"`node --version` failed: {result.Describe()}";
        }
        catch (InvalidOperationException e)
        {
            return $"Node.js is not on PATH: {e.Message}.";
        }
    }
}
