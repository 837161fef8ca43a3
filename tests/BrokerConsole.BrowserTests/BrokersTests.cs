using BrokerConsole.BrowserTests.Infrastructure;
using static BrokerConsole.BrowserTests.Infrastructure.ConsoleSession;

namespace BrokerConsole.BrowserTests;

/// <summary>
/// The Brokers and Events pages watching the pair live, the operator acting through the Brokers page's buttons and
/// their confirmations (<see cref="Pages.BrokersPage.ActAsync"/>).
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
    });

    [Fact]
    public Task StopProtectedMaster_HandsOverFirst_StartRejoinsAsSlave_LiveOnBrokersAndEventsPages() => RunAsync(chromium, async console =>
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

        // Cancel does nothing.
        await brokers.ActionButton(Master, "stop").ClickAsync();
        await Assertions.Expect(brokers.ConfirmationText).ToContainTextAsync($"{Master} first hands over to {Slave}");
        await brokers.CancelButton.ClickAsync();
        await Assertions.Expect(brokers.Confirmation).ToHaveCountAsync(0);
        await brokers.ExpectBrokerAsync(Master, "master", "master protected");
        await Assertions.Expect(brokers.OperationStatus).ToHaveCountAsync(0);

        await brokers.ActAsync(Master, "stop", $"{Master} first hands over to {Slave}");

        await Assertions.Expect(brokers.OperationStatus).ToHaveTextAsync($"{Master}: stop done; now stopped.");
        await brokers.ExpectBrokerAsync(Slave, "master", "master unprotected");
        // Stopped, and no longer the master: started again it follows the new master.
        await brokers.ExpectBrokerAsync(Master, "slave", "stopped");
        await Assertions.Expect(await brokers.CellAsync(Slave, "Epoch")).Not.ToHaveTextAsync(epoch);
        await Assertions.Expect(await brokers.CellAsync(Slave, "Connectors")).ToContainTextAsync("open on");
        await events.ExpectEventAsync(Master, "BrokerStopped", "handed over before an operator's stop");
        await events.ExpectEventAsync(Slave, "Promoted", "planned switchover");
        await brokers.ExpectNotReloadedAsync();
        await events.ExpectNotReloadedAsync();
        await Screenshots.SaveAsync(events.Page, "events");

        // The promoted slave serves clients; the former master, started again, is its slave (never a second master).
        await console.SendStompAsync("/queue/after.failover", broker: Slave);
        await brokers.ActAsync(Master, "start", $"{Master} follows its master again as slave");
        await brokers.ExpectBrokerAsync(Master, "slave", "slave in sync", Sync);
        await brokers.ExpectBrokerAsync(Slave, "master", "master protected", Sync);
    });

    [Fact]
    public Task StopAndStartSlave_PairResyncs_Live() => RunAsync(chromium, async console =>
    {
        var brokers = await console.LogInAsync();
        await brokers.ExpectBrokerAsync(Slave, "slave", "slave in sync", Sync);
        await brokers.ExpectBrokerAsync(Master, "master", "master protected", Sync);
        await brokers.MarkDocumentAsync();

        await brokers.ActAsync(Slave, "stop", $"{Slave} closes its connectors");

        await brokers.ExpectBrokerAsync(Slave, "slave", "stopped");
        await brokers.ExpectBrokerAsync(Master, "master", "master unprotected");
        // Written while the slave is away: it has to catch up when it comes back.
        await console.SendStompAsync("/queue/while.slave.away", count: 3);

        await brokers.ActAsync(Slave, "start", $"{Slave} follows its master again as slave");

        await brokers.ExpectBrokerAsync(Slave, "slave", "slave in sync", Sync);
        await brokers.ExpectBrokerAsync(Master, "master", "master protected", Sync);
        await brokers.ExpectNotReloadedAsync();
        var events = console.Events;
        await events.OpenFromMenuAsync("Events");
        await events.ExpectEventAsync(Slave, "BrokerStopped", "stopped by an operator");
        await Assertions.Expect(events.Event(Master, "SlaveInSync")).ToHaveCountAsync(2);
    });

    [Fact]
    public Task PlannedSwitchover_FromTheButton_RolesSwap_AndSwitchBack() => RunAsync(chromium, async console =>
    {
        var brokers = await console.LogInAsync();
        await brokers.ExpectBrokerAsync(Slave, "slave", "slave in sync", Sync);
        await brokers.ExpectBrokerAsync(Master, "master", "master protected", Sync);
        await console.SendStompAsync("/queue/kept.across.switchover", count: 3);
        await brokers.MarkDocumentAsync();
        // Only the master offers a switchover; the slave offers promote.
        await Assertions.Expect(brokers.ActionButton(Slave, "switchover")).ToHaveCountAsync(0);
        await Assertions.Expect(brokers.ActionButton(Slave, "promote")).ToBeVisibleAsync();

        await brokers.ActAsync(Master, "switchover", $"then {Slave} becomes master and {Master} its slave");

        await brokers.ExpectBrokerAsync(Slave, "master", "master protected", Sync);
        await brokers.ExpectBrokerAsync(Master, "slave", "slave in sync", Sync);
        await Assertions.Expect(await brokers.CellAsync(Slave, "Connectors")).ToContainTextAsync("open on");
        await Assertions.Expect(await brokers.CellAsync(Master, "Connectors")).ToContainTextAsync("closed");
        await Assertions.Expect(brokers.ActionButton(Master, "promote")).ToBeVisibleAsync();

        // And back: the new master hands over to the configured one.
        await brokers.ActAsync(Slave, "switchover", $"then {Master} becomes master and {Slave} its slave");

        await brokers.ExpectBrokerAsync(Master, "master", "master protected", Sync);
        await brokers.ExpectBrokerAsync(Slave, "slave", "slave in sync", Sync);
        await brokers.ExpectNotReloadedAsync();
        var queues = new Pages.QueuesPage(console.Page, Master);
        await queues.OpenFromMenuAsync("Queues and topics");
        await Assertions.Expect(queues.Pending("kept.across.switchover")).ToHaveTextAsync("3");
        var events = console.Events;
        await events.OpenFromMenuAsync("Events");
        await events.ExpectEventAsync(Master, "Switchover", $"switchover to {Slave} started (asked by an operator)");
        await events.ExpectEventAsync(Slave, "Promoted", "planned switchover");
        await events.ExpectEventAsync(Master, "Demoted", "planned switchover");
        await events.ExpectEventAsync(Slave, "Switchover", $"switchover to {Master} started (asked by an operator)");
        // "took over", not "b1 took over": the event names the new master only when the old one still knew its slave then.
        await events.ExpectEventAsync(Slave, "Switchover", "took over at sequence");
        await events.ExpectEventAsync(Master, "Switchover", "took over at sequence");
        await events.ExpectEventAsync(Master, "Promoted", "planned switchover");
        await events.ExpectEventAsync(Slave, "Demoted", "planned switchover");
    });
}
