namespace BrokerConsole.Tests.Interop;

/// <summary>Runs the scenario scripts of tests/interop, each an independent STOMP client, and checks the outcome.</summary>
internal static class InteropScripts
{
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromSeconds(90);
    private static readonly Lazy<string> Folder = new(FindFolder);

    public static string Directory => Folder.Value;

    /// <summary>Runs <paramref name="script"/> with <paramref name="interpreter"/>; fails with its output unless it exits 0 in time.</summary>
    public static async Task RunAsync(string interpreter, string script, params string[] arguments)
    {
        var args = arguments.Prepend(Path.Combine(Directory, script)).ToArray();
        using var child = ChildProcess.Start(interpreter, args, Directory,
            new Dictionary<string, string> { ["PYTHONDONTWRITEBYTECODE"] = "1", ["NO_COLOR"] = "1" });
        var result = await child.WaitAsync(ScriptTimeout);

        Assert.True(result.ExitCode == 0 && !result.TimedOut, result.Describe(child.CommandLine));
    }

    /// <summary>Fails (never skips) when a client the tests need is missing.</summary>
    public static void RequireNoProblem(string? problem)
    {
        if (problem is not null)
        {
            Assert.Fail($"{problem} Run ./test.sh from the repository root: it installs python3-stomp, php-cli, php-stomp, "
                + "libnet-stomp-perl and ruby-stomp (apt) and runs npm ci in tests/interop.");
        }
    }

    /// <summary>Null when <paramref name="interpreter"/> exists and <paramref name="check"/> succeeds with it, else what is wrong.</summary>
    public static async Task<string?> FindProblemAsync(string interpreter, string[] check, string missing)
    {
        if (!File.Exists(interpreter))
        {
            return $"{interpreter} does not exist ({missing}).";
        }
        var result = await ChildProcess.RunAsync(interpreter, check, TimeSpan.FromSeconds(30));
        return result.ExitCode == 0 ? null : $"{interpreter} {string.Join(' ', check)} failed ({missing}): {result.StandardError.Trim()}";
    }

    private static string FindFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "BrokerConsole.sln")))
            {
                return Path.Combine(dir.FullName, "tests", "interop");
            }
        }
        throw new InvalidOperationException($"no BrokerConsole.sln above {AppContext.BaseDirectory}");
    }
}
