using BrokerConsole.Monitoring;
using BrokerConsole.Remote;
using Microsoft.Extensions.DependencyInjection;

namespace BrokerConsole.Tests.Remote;

/// <summary>The in-process service the console draws from: two hosts in this process, one watching the other over its hub.</summary>
public sealed class RemoteHostsTests
{
    private static string[] Watch(Uri url, string password = "viewer") =>
        [$"--Console:Hosts:r:Url={url}", "--Console:Hosts:r:UserName=viewer", $"--Console:Hosts:r:Password={password}"];

    private static async Task<HostView> NextAsync(IAsyncEnumerator<IReadOnlyList<HostView>> stream, Func<HostView, bool> condition, string what)
    {
        HostView? last = null;
        while (await stream.MoveNextAsync())
        {
            last = stream.Current.Single(h => h.Name == "r");
            if (condition(last))
            {
                return last;
            }
        }
        throw new TimeoutException($"the stream ended before {what}; last: {last?.Status}");
    }

    [Fact]
    public async Task WatchHosts_RemoteStoppedAndRestarted_ConnectedUnreachableConnected_WithHostsChanged()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var remote = await TestHost.StartAsync();
        var port = remote.HttpUri.Port;
        TestHost? again = null;
        try
        {
            await using var console = await TestHost.StartAsync(Watch(remote.HttpUri));
            var hosts = console.Services.GetRequiredService<IRemoteHosts>();
            Assert.Equal(["r"], hosts.Names);
            await using var stream = hosts.WatchHosts(timeout.Token).GetAsyncEnumerator(timeout.Token);

            var connected = await NextAsync(stream, h => h.Status.State == HostState.Connected && h.Brokers.Count == 1, "connected with b1");
            Assert.Equal("b1", connected.Brokers[0].Name);
            Assert.Equal("master", connected.Brokers[0].Role);
            Assert.Equal(MonitorProtocol.Version, connected.Status.ProtocolVersion);
            Assert.Null(connected.Status.VersionMismatch);
            Assert.Contains(connected.Links, l => l.Name == "b1" && l.MasterUri is null);
            Assert.Same(hosts.Find("r")!.Status.Url, connected.Status.Url);

            var changes = new List<HostStatus>();
            hosts.HostsChanged += status => { lock (changes) { changes.Add(status); } };
            await remote.DisposeAsync();
            var down = await NextAsync(stream, h => h.Status.State == HostState.Unreachable, "unreachable");
            Assert.NotNull(down.Status.LastError);
            // Its brokers stay as last received, for the pair view.
            Assert.Equal("b1", Assert.Single(down.Brokers).Name);

            again = await TestHost.StartAsync($"--urls=http://127.0.0.1:{port}");
            var back = await NextAsync(stream, h => h.Status.State == HostState.Connected, "connected again");
            Assert.True(back.Status.Since > down.Status.Since);
            Assert.NotNull(back.Status.LastError);
            lock (changes)
            {
                Assert.Equal([HostState.Unreachable, HostState.Connected], changes.Select(c => c.State));
            }
        }
        finally
        {
            await remote.DisposeAsync();
            if (again is not null)
            {
                await again.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task FleetWatch_RemoteHostConnectedThenDown_OneStreamOfHostsBrokersPairs()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(40));
        var remote = await TestHost.StartAsync();
        try
        {
            await using var console = await TestHost.StartAsync(Watch(remote.HttpUri));
            var fleet = console.Services.GetRequiredService<Fleet>();
            await using var stream = fleet.Watch(timeout.Token).GetAsyncEnumerator(timeout.Token);

            var up = await NextAsync(stream, f => f.Hosts.Any(h => h.Name == "r" && h.State == HostState.Connected) && f.Brokers.Count == 2, "r connected");
            Assert.Equal(["local", "r"], up.Hosts.Select(h => h.Name));
            Assert.Equal([("local", "b1"), ("r", "b1")], up.Brokers.Select(b => (b.Host, b.View.Name)));
            Assert.Equal(["single", "single"], up.Pairs.Select(p => p.Kind));

            await remote.DisposeAsync();
            var down = await NextAsync(stream, f => f.Hosts.Any(h => h.Name == "r" && h.State == HostState.Unreachable), "r unreachable");
            Assert.Equal("unreachable", down.Pairs.Single(p => p.Members[0].Host == "r").Members[0].HostState);
        }
        finally
        {
            await remote.DisposeAsync();
        }
    }

    private static async Task<FleetSnapshot> NextAsync(IAsyncEnumerator<FleetSnapshot> stream, Func<FleetSnapshot, bool> condition, string what)
    {
        FleetSnapshot? last = null;
        while (await stream.MoveNextAsync())
        {
            last = stream.Current;
            if (condition(last))
            {
                return last;
            }
        }
        throw new TimeoutException($"the stream ended before {what}; last hosts: {string.Join(", ", last?.Hosts.Select(h => $"{h.Name} {h.StateName}") ?? [])}");
    }

    [Fact]
    public async Task WrongPassword_Refused_OthersAndApiUnaffected()
    {
        await using var remote = await TestHost.StartAsync();
        await using var console = await TestHost.StartAsync(Watch(remote.HttpUri, password: "wrong"));
        var hosts = console.Services.GetRequiredService<IRemoteHosts>();

        await Retry.UntilAsync("r refused", () => hosts.Find("r")!.Status.State == HostState.Refused, TimeSpan.FromSeconds(20));

        Assert.Contains("401", hosts.Find("r")!.Status.LastError);
        Assert.Empty(hosts.Find("r")!.Brokers);
        using var http = console.CreateHttpClient();
        Assert.True((await http.GetAsync("/api/brokers?scope=all")).IsSuccessStatusCode);
    }
}
