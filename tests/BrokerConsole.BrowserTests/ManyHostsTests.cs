using System.Diagnostics;
using BrokerConsole.BrowserTests.Infrastructure;
using Xunit.Abstractions;

namespace BrokerConsole.BrowserTests;

/// <summary>
/// One console over several host processes (issue 12), in the browser: host A runs the master <c>b1</c>, host B its
/// slave, host C (no broker of its own) or A itself watches the others over their monitor hubs.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class ManyHostsTests(ChromiumFixture chromium, ITestOutputHelper output)
{
    private static readonly string[] Users =
    [
        "--Security:Users:viewer:Password=viewer", "--Security:Users:viewer:Roles:0=viewer",
    ];

    /// <summary>A failover is shown once the watched hosts' streams say so: generous for a loaded 2-core machine; the time taken is printed.</summary>
    private static readonly TimeSpan Followed = TimeSpan.FromSeconds(15);

    private static string[] Watch(string name, int httpPort) =>
    [
        $"--Console:Hosts:{name}:Url=http://127.0.0.1:{httpPort}",
        $"--Console:Hosts:{name}:UserName=admin",
        $"--Console:Hosts:{name}:Password=admin",
    ];

    [Fact]
    public async Task ConsoleOnlyHost_ShowsThePairAcrossTwoHosts_FollowsASigkill_PromotesOnAnotherHost()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var token = timeout.Token;
        var (portA, portB) = (FreePorts.Next(), FreePorts.Next());
        string[] onA = [$"--urls=http://127.0.0.1:{portA}", .. Users];
        await using var a = await BrokerProcess.StartAsync(Replicas.Master(onA), token);
        await using var b = await BrokerProcess.StartAsync(Replicas.SlaveOf(a.Port, $"--urls=http://127.0.0.1:{portB}"), token);
        await Replicas.WaitInSyncAsync(a, b, token);
        await using var c = await BrokerProcess.StartAsync(new BrokerProcessOptions
        {
            Slave = true,
            Settings = ["--Brokers:b1:Enabled=false", .. Users, .. Watch("a", portA), .. Watch("b", portB)],
        }, token);

        await FleetSession.RunAsync(chromium, c, [a, b, c], "admin", async console =>
        {
            var overview = console.Overview;
            // Both brokers of both hosts, drawn as one pair.
            await Assertions.Expect(overview.Pairs).ToHaveCountAsync(1);
            await Assertions.Expect(overview.Role("a", "b1")).ToHaveTextAsync("master");
            await Assertions.Expect(overview.State("b", "b1")).ToHaveTextAsync("slave in sync");
            await Assertions.Expect(overview.PairOf("a", "b1").GetByTestId("pair-link")).ToHaveTextAsync("in sync");
            await Assertions.Expect(overview.PairOf("a", "b1").GetByTestId("pair-protection")).ToHaveTextAsync("protected");
            await overview.MarkDocumentAsync();

            // SIGKILL of host A: C's page follows live (no reload), the overview and the timeline.
            var clock = Stopwatch.StartNew();
            a.Kill();
            await Assertions.Expect(overview.Role("b", "b1")).ToHaveTextAsync("master", new() { Timeout = (float)Followed.TotalMilliseconds });
            var promotedShown = clock.Elapsed;
            await Assertions.Expect(overview.TimelineEvent("b", "Promoted")).Not.ToHaveCountAsync(0, new() { Timeout = (float)Followed.TotalMilliseconds });
            var timelineShown = clock.Elapsed;
            await Assertions.Expect(overview.HostState("a", "b1")).ToContainTextAsync("unreachable");
            await Assertions.Expect(overview.Alert("HostUnreachable", "a")).ToHaveCountAsync(1);
            await Assertions.Expect(overview.Alert("UnprotectedMaster", "b")).ToHaveCountAsync(1);
            // Still one pair: the new master and the lost one, as last seen; no buttons for a host that cannot answer.
            await Assertions.Expect(overview.Pairs).ToHaveCountAsync(1);
            await Assertions.Expect(overview.Member("a", "b1").GetByRole(AriaRole.Button)).ToHaveCountAsync(0);
            output.WriteLine($"SIGKILL of A -> C's overview shows B's b1 master after {promotedShown.TotalMilliseconds:0} ms, its Promoted event after {timelineShown.TotalMilliseconds:0} ms");
            await overview.ExpectNotReloadedAsync();

            // A back, as the new master's slave: shown connected again, in sync, without a reload.
            var newMasterPort = await b.WaitForStompAsync(Replicas.FailoverTimeout, token);
            a.Options = Replicas.SlaveOf(newMasterPort, onA);
            await a.StartAsync(token);
            await Assertions.Expect(overview.HostState("a", "b1")).ToHaveCountAsync(0, new() { Timeout = 30_000 });
            await Assertions.Expect(overview.State("a", "b1")).ToHaveTextAsync("slave in sync", new() { Timeout = 30_000 });
            await Assertions.Expect(overview.Alert("HostUnreachable", "a")).ToHaveCountAsync(0);

            // Promote the slave that lives on A from C's page: confirmation, A's answer, the roles swap.
            await overview.Action("a", "b1", "promote").ClickAsync();
            await Assertions.Expect(overview.ConfirmationText).ToContainTextAsync("b1 stops applying its master's records");
            await overview.ConfirmButton.ClickAsync();
            await Assertions.Expect(overview.OperationStatus).ToContainTextAsync("b1 on a: promote done");
            await Assertions.Expect(overview.Role("a", "b1")).ToHaveTextAsync("master", new() { Timeout = 30_000 });
            await Assertions.Expect(overview.Role("b", "b1")).ToHaveTextAsync("slave", new() { Timeout = 30_000 });
            await overview.ExpectNotReloadedAsync();
        }, TimeSpan.FromMinutes(3));
    }

    [Fact]
    public async Task MasterHostWatchingItsSlaveHost_ViewerSeesNoRemoteAdminControl_HostStoppedThenBack()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var token = timeout.Token;
        var portB = FreePorts.Next();
        await using var a = await BrokerProcess.StartAsync(Replicas.Master([.. Users, .. Watch("b", portB)]), token);
        await using var b = await BrokerProcess.StartAsync(Replicas.SlaveOf(a.Port, $"--urls=http://127.0.0.1:{portB}"), token);
        await Replicas.WaitInSyncAsync(a, b, token);

        await FleetSession.RunAsync(chromium, a, [a, b], "viewer", async console =>
        {
            var overview = console.Overview;
            await Assertions.Expect(overview.Pairs).ToHaveCountAsync(1);
            await Assertions.Expect(overview.Role("local", "b1")).ToHaveTextAsync("master");
            await Assertions.Expect(overview.State("b", "b1")).ToHaveTextAsync("slave in sync");
            // A viewer: neither the local broker nor the remote one offers an operator action.
            await Assertions.Expect(overview.AdminActions).ToHaveCountAsync(0);
            await Assertions.Expect(console.Page.Locator("[data-testid^=fleet-action-]")).ToHaveCountAsync(0);
            await overview.MarkDocumentAsync();

            // Host B stopped (SIGKILL): unreachable, and the master it protected is unprotected; then back.
            b.Kill();
            await Assertions.Expect(overview.HostState("b", "b1")).ToContainTextAsync("unreachable", new() { Timeout = (float)Followed.TotalMilliseconds });
            await Assertions.Expect(overview.Alert("HostUnreachable", "b")).ToHaveCountAsync(1);
            await Assertions.Expect(overview.Alert("UnprotectedMaster", "local")).ToHaveCountAsync(1, new() { Timeout = (float)Followed.TotalMilliseconds });
            await b.StartAsync(token);
            await Assertions.Expect(overview.HostState("b", "b1")).ToHaveCountAsync(0, new() { Timeout = 30_000 });
            await Assertions.Expect(overview.State("b", "b1")).ToHaveTextAsync("slave in sync", new() { Timeout = 30_000 });
            await Assertions.Expect(overview.Alerts).ToHaveCountAsync(0);
            await Assertions.Expect(overview.AdminActions).ToHaveCountAsync(0);
            await overview.ExpectNotReloadedAsync();
        }, TimeSpan.FromMinutes(2));
    }
}
