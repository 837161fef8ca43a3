using System.Net;
using System.Net.Sockets;

namespace BrokerConsole.Tests.Host;

/// <summary>The built host as a real process: a mistake the operator must fix ends it with exit code 2 and one explanation.</summary>
[Collection("Processes")]
public sealed class StartupFailureTests
{
    private const string StackTraceLine = "   at ";

    [Fact]
    public async Task ConfigurationMistakes_ExitCode2_AllNamed_NoStackTrace()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var broker = BrokerProcess.Create(new BrokerProcessOptions
        {
            Settings = ["--Stomp:HeartbeatSendMs=abc", "--Security:Users:admin:Pasword=x", "--Brokers:b1:SlowConsumerPolicy=Wait"],
        });

        Assert.False(await broker.TryStartAsync(timeout.Token), broker.Describe());

        Assert.Equal(2, broker.ExitCode);
        Assert.Contains("Stomp:HeartbeatSendMs: 'abc' is not a whole number", broker.Output, StringComparison.Ordinal);
        Assert.Contains("Security:Users:admin:Pasword: unknown setting (known: Password, Roles)", broker.Output, StringComparison.Ordinal);
        Assert.Contains("Brokers:b1:SlowConsumerPolicy: 'Wait' is not one of Disconnect, DropOldest", broker.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(StackTraceLine, broker.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BusyHttpPort_ExitCode2_NamesTheAddress_NoBrokerOpened()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var occupant = new TcpListener(IPAddress.Loopback, 0);
        occupant.Start();
        var port = ((IPEndPoint)occupant.LocalEndpoint).Port;
        await using var broker = BrokerProcess.Create(new BrokerProcessOptions { Settings = [$"--urls=http://127.0.0.1:{port}"] });

        Assert.False(await broker.TryStartAsync(timeout.Token), broker.Describe());

        Assert.Equal(2, broker.ExitCode);
        Assert.Contains($"Failed to bind to address http://127.0.0.1:{port}: address already in use.", broker.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(StackTraceLine, broker.Output, StringComparison.Ordinal);
        // The HTTP server binds before any broker starts: no connector opened, no journal created.
        Assert.DoesNotContain("Listening for connections at", broker.Output, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(broker.DataDirectory));
    }

    [Fact]
    public async Task RelativePaths_FollowTheContentRoot_NotTheWorkingDirectory()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var broker = BrokerProcess.Create();
        // The process runs in broker.Root; its content root is a folder below it.
        var site = Directory.CreateDirectory(Path.Combine(broker.Root, "site")).FullName;
        broker.Options = broker.Options with
        {
            Settings = [$"--contentRoot={site}", "--Brokers:b1:DataDirectory=data/b1", "--Logging:Directory=logs"],
        };

        await broker.StartAsync(timeout.Token);

        Assert.NotEmpty(Directory.GetFiles(Path.Combine(site, "data", "b1")));
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(site, "logs")));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(broker.Root, "data", "b1")));
        Assert.Contains($"data in {Path.Combine(site, "data", "b1")}", broker.Output, StringComparison.Ordinal);
    }
}
