using BrokerConsole.Api;
using BrokerConsole.Components.FleetView;
using BrokerConsole.Remote;
using static BrokerConsole.Components.Tests.FleetFixtures;

namespace BrokerConsole.Components.Tests;

public sealed class FleetAlertsTests
{
    private static readonly HostStatus[] TwoHosts = [Host("local"), Host("hostB")];

    private static FleetSnapshot PairOf(string masterState, string slaveState, string link = "in sync", string slaveHostState = "connected", long lag = 0) =>
        new(TwoHosts,
            [On("local", Master("amq1M", "amq1S", masterState)), On("hostB", Slave("amq1S", "amq1M", slaveState))],
            [Pair(Member("local", "amq1M", "master", masterState), Member("hostB", "amq1S", "slave", slaveState, slaveHostState),
                link, lagRecords: lag, lagBytes: lag * 100, lagMs: lag * 10)]);

    [Fact]
    public void Of_HealthyPair_NoAlerts() =>
        Assert.Empty(FleetAlerts.Of(PairOf("master protected", "slave in sync")));

    [Fact]
    public void Of_PairMasterUnprotected_CriticalNamingTheSlaveAndWhy()
    {
        var alert = Assert.Single(FleetAlerts.Of(PairOf("master unprotected", "slave in sync", link: "none", slaveHostState: "unreachable")));

        Assert.Equal((AlertKind.UnprotectedMaster, AlertSeverity.Critical, "local", "amq1M"), (alert.Kind, alert.Severity, alert.Host, alert.Broker));
        Assert.Equal("amq1M on local serves unprotected (master unprotected): amq1S on hostB is on a host that is unreachable", alert.Text);
    }

    [Fact]
    public void Of_MasterWaitingForSlave_Unprotected() =>
        Assert.Equal([AlertKind.UnprotectedMaster], FleetAlerts.Of(PairOf("waiting for slave", "stopped")).Select(a => a.Kind));

    [Fact]
    public void Of_SingleMasterUnprotected_NoAlert()
    {
        // A broker configured without a slave is "master unprotected" by design: no alert for it.
        var single = On("local", Master("solo", slave: null, state: "master unprotected"));
        var fleet = new FleetSnapshot([Host("local")], [single], [new PairView("single", [Member("local", "solo", "master", "master unprotected")], "none", 3, false, 0, 0, 0, null)]);

        Assert.Empty(FleetAlerts.Of(fleet));
    }

    [Fact]
    public void Of_SlaveCatchingUp_WarningWithTheLag()
    {
        var alerts = FleetAlerts.Of(PairOf("master unprotected", "slave catching up", link: "catching up", lag: 40));

        var catchingUp = Assert.Single(alerts, a => a.Kind == AlertKind.SlaveCatchingUp);
        Assert.Equal(AlertSeverity.Warning, catchingUp.Severity);
        Assert.Equal("amq1S on hostB is catching up: 40 records, 3.9 KiB, 400 ms behind", catchingUp.Text);
        // Critical first: the master serving without a slave in sync comes before the slave catching up.
        Assert.Equal([AlertKind.UnprotectedMaster, AlertKind.SlaveCatchingUp], alerts.Select(a => a.Kind));
    }

    [Fact]
    public void Of_LinkCatchingUpWhileSlaveReportsOtherwise_StillOneAlertForTheSlave()
    {
        var alerts = FleetAlerts.Of(PairOf("master protected", "slave in sync", link: "catching up", lag: 5));

        Assert.Equal("amq1S", Assert.Single(alerts, a => a.Kind == AlertKind.SlaveCatchingUp).Broker);
    }

    [Fact]
    public void Of_HostUnreachable_CriticalWithSinceAndLastError()
    {
        var fleet = new FleetSnapshot([Host("local"), Host("hostB", HostState.Unreachable, "Connection refused (hostB.example:8161)")], [], []);

        var alert = Assert.Single(FleetAlerts.Of(fleet));

        Assert.Equal((AlertKind.HostUnreachable, AlertSeverity.Critical, "hostB", (string?)null, (DateTimeOffset?)Since),
            (alert.Kind, alert.Severity, alert.Host, alert.Broker, alert.Since));
        Assert.Equal("Host hostB (http://hostB.example:8161) unreachable since 03:00:05 UTC: Connection refused (hostB.example:8161)", alert.Text);
    }

    [Fact]
    public void Of_HostRefused_CriticalWithSinceAndLastError()
    {
        var fleet = new FleetSnapshot([Host("hostB", HostState.Refused, "401 Unauthorized")], [], []);

        var alert = Assert.Single(FleetAlerts.Of(fleet));

        Assert.Equal(AlertKind.HostRefused, alert.Kind);
        Assert.Equal("Host hostB (http://hostB.example:8161) refuses this console's login since 03:00:05 UTC: 401 Unauthorized", alert.Text);
    }

    [Fact]
    public void Of_HostOnAnotherProtocolVersion_Warning()
    {
        var fleet = new FleetSnapshot([Host("hostB", version: 2, mismatch: "the host speaks monitor protocol version 2, this console 1")], [], []);

        var alert = Assert.Single(FleetAlerts.Of(fleet));

        Assert.Equal((AlertKind.ProtocolMismatch, AlertSeverity.Warning), (alert.Kind, alert.Severity));
        Assert.EndsWith("the host speaks monitor protocol version 2, this console 1", alert.Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(801, 1000, true)]
    [InlineData(800, 1000, false)]
    [InlineData(5000, 0, false)]
    public void Of_StoreUse_AlertAboveEightyPercentOfALimit(long used, long limit, bool alerted)
    {
        var broker = On("hostB", Master("amq1M", null) with { Store = new UsageView(used, limit) });

        var alerts = FleetAlerts.Of(new FleetSnapshot([Host("hostB")], [broker], []));

        Assert.Equal(alerted, alerts.Any(a => a.Kind == AlertKind.StoreHigh && a.Broker == "amq1M" && a.Host == "hostB"));
    }

    [Fact]
    public void Of_MemoryAboveEightyPercent_WarningWithFigures()
    {
        var broker = On("local", Master("amq1M", null) with { Memory = new UsageView(230L << 20, 256L << 20) });

        var alert = Assert.Single(FleetAlerts.Of(new FleetSnapshot([Host("local")], [broker], [])));

        Assert.Equal((AlertKind.MemoryHigh, AlertSeverity.Warning), (alert.Kind, alert.Severity));
        Assert.Equal("amq1M on local: memory 230 MiB of 256 MiB (90 %)", alert.Text);
    }

    [Fact]
    public void Of_FullStoreOnUnreachableHost_OnlyTheHostAlert()
    {
        // Its figures are as last seen: the host's own alert says why they are stale.
        var broker = On("hostB", Master("amq1M", null) with { Store = new UsageView(990, 1000) }, HostState.Unreachable);

        var alerts = FleetAlerts.Of(new FleetSnapshot([Host("hostB", HostState.Unreachable, "timeout")], [broker], []));

        Assert.Equal([AlertKind.HostUnreachable], alerts.Select(a => a.Kind));
    }
}
