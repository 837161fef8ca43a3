using BrokerConsole.BrowserTests.Infrastructure;
using static BrokerConsole.BrowserTests.Infrastructure.ConsoleSession;

namespace BrokerConsole.BrowserTests;

/// <summary>
/// The Brokers and Events pages watching the pair live. The Brokers page has no action buttons yet (the Actions
/// are being built on another branch), so the operator actions go through <c>POST /api/brokers/{b}/stop|start|promote</c>;
/// once the buttons land, <see cref="Pages.BrokersPage.ActionButton"/> and <see cref="Pages.ConsolePage.DialogButton"/> drive them instead.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class BrokersTests(ChromiumFixture chromium)
{
    private static readonly TimeSpan Sync = TimeSpan.FromSeconds(30);

    [Fact]
    public Task Pair_IsShownWithRolesAndInSync() => RunAsync(chromium, async console =>
    {
        var brokers = await console.LogInAsync();

        await brokers.ExpectBrokerAsync(Slave, "slave", "slave in sync", Sync);
        await brokers.ExpectBrokerAsync(Master, "master", "master protected", Sync);
        await Assertions.Expect(await brokers.CellAsync(Slave, "Replication")).ToContainTextAsync($"with {Master}");
        await Assertions.Expect(await brokers.CellAsync(Master, "Replication")).ToContainTextAsync($"with {Slave}");
        await Assertions.Expect(await brokers.CellAsync(Master, "Connectors")).ToContainTextAsync($"open on {console.Host.StompPort(Master)}");
        await Assertions.Expect(await brokers.CellAsync(Slave, "Connectors")).ToContainTextAsync("closed");
        await Assertions.Expect(brokers.User).ToHaveTextAsync("admin");
        await console.ScreenshotAsync("brokers");
    });

    [Fact]
    public Task StopMaster_SlaveTakesOver_LiveOnBrokersAndEventsPages() => RunAsync(chromium, async console =>
    {
        var brokers = await console.LogInAsync();
        await brokers.ExpectBrokerAsync(Slave, "slave", "slave in sync", Sync);
        await brokers.ExpectBrokerAsync(Master, "master", "master protected", Sync);
        // A second tab on the Events page: both watch while the master stops.
        var events = new Pages.EventsPage(await console.Context.NewPageAsync());
        await events.OpenAsync();
        await events.ExpectEventAsync(Master, "SlaveInSync");
        await brokers.MarkDocumentAsync();
        await events.MarkDocumentAsync();
        var epoch = await (await brokers.CellAsync(Slave, "Epoch")).InnerTextAsync();

        await console.OperatorActionAsync(Master, "stop");

        await brokers.ExpectBrokerAsync(Slave, "master", "master unprotected");
        await brokers.ExpectBrokerAsync(Master, "master", "stopped");
        await Assertions.Expect(await brokers.CellAsync(Slave, "Epoch")).Not.ToHaveTextAsync(epoch);
        await Assertions.Expect(await brokers.CellAsync(Slave, "Connectors")).ToContainTextAsync("open on");
        await events.ExpectEventAsync(Master, "BrokerStopped", "stopped by an operator");
        await events.ExpectEventAsync(Slave, "MasterFailed");
        await events.ExpectEventAsync(Slave, "Promoted", "the master failed");
        await brokers.ExpectNotReloadedAsync();
        await events.ExpectNotReloadedAsync();
        await Screenshots.SaveAsync(events.Page, "events");

        // The promoted slave serves clients.
        await console.SendStompAsync("/queue/after.failover", broker: Slave);
    });

    [Fact]
    public Task StopAndStartSlave_PairResyncs_Live() => RunAsync(chromium, async console =>
    {
        var brokers = await console.LogInAsync();
        await brokers.ExpectBrokerAsync(Slave, "slave", "slave in sync", Sync);
        await brokers.ExpectBrokerAsync(Master, "master", "master protected", Sync);
        await brokers.MarkDocumentAsync();

        await console.OperatorActionAsync(Slave, "stop");

        await brokers.ExpectBrokerAsync(Slave, "slave", "stopped");
        await brokers.ExpectBrokerAsync(Master, "master", "master unprotected");
        // Written while the slave is away: it has to catch up when it comes back.
        await console.SendStompAsync("/queue/while.slave.away", count: 3);

        await console.OperatorActionAsync(Slave, "start");

        await brokers.ExpectBrokerAsync(Slave, "slave", "slave in sync", Sync);
        await brokers.ExpectBrokerAsync(Master, "master", "master protected", Sync);
        await brokers.ExpectNotReloadedAsync();
        var events = console.Events;
        await events.OpenFromMenuAsync("Events");
        await events.ExpectEventAsync(Slave, "BrokerStopped", "stopped by an operator");
        await Assertions.Expect(events.Event(Master, "SlaveInSync")).ToHaveCountAsync(2);
    });

    [Fact]
    public Task SlaveShutDownOnMasterFailure_OperatorPromotesIt() => RunAsync(chromium, async console =>
    {
        var brokers = await console.LogInAsync();
        await brokers.ExpectBrokerAsync(Slave, "slave", "slave in sync", Sync);
        await brokers.ExpectBrokerAsync(Master, "master", "master protected", Sync);
        await brokers.MarkDocumentAsync();

        await console.OperatorActionAsync(Master, "stop");

        // ShutdownOnMasterFailure: the slave stops instead of taking over, and waits for an operator.
        await brokers.ExpectBrokerAsync(Slave, "slave", "stopped");
        await brokers.ExpectBrokerAsync(Master, "master", "stopped");

        await console.OperatorActionAsync(Slave, "promote");

        await brokers.ExpectBrokerAsync(Slave, "master", "master unprotected");
        await brokers.ExpectNotReloadedAsync();
        var events = console.Events;
        await events.OpenFromMenuAsync("Events");
        await events.ExpectEventAsync(Slave, "BrokerStopped", "ShutdownOnMasterFailure");
        await events.ExpectEventAsync(Slave, "Promoted", "promoted by an operator");
    }, settings: [$"--Brokers:{Slave}:ShutdownOnMasterFailure=true"]);
}
