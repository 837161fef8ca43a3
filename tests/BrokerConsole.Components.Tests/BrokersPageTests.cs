using BrokerConsole.Components.Pages;

namespace BrokerConsole.Components.Tests;

public sealed class BrokersPageTests : ConsoleContext
{
    [Fact]
    public void Brokers_Snapshot_RendersRows()
    {
        var cut = Render<Brokers>();

        Monitor.Brokers.Writer.TryWrite([FakeMonitorSource.Broker("amq1M", connections: 7), FakeMonitorSource.Broker("amq1S")]);

        cut.WaitForState(() => cut.Markup.Contains("amq1S", StringComparison.Ordinal));
        Assert.Contains("amq1M", cut.Markup, StringComparison.Ordinal);
        Assert.Contains("master unprotected", cut.Markup, StringComparison.Ordinal);
        Assert.Contains("1 MiB of 256 MiB", cut.Markup, StringComparison.Ordinal);
        Assert.Contains("open on 61613", cut.Markup, StringComparison.Ordinal);
        Assert.Contains("in sync with amq1S", cut.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void Brokers_RoleAndState_ColouredBadgesAndWholeNames()
    {
        var cut = Render<Brokers>();

        Monitor.Brokers.Writer.TryWrite([FakeMonitorSource.Broker("amq1M", state: "master protected"), FakeMonitorSource.Broker("amq1S", state: "failed")]);

        cut.WaitForState(() => cut.FindAll("[data-testid=broker-state] .state-badge").Count == 2);
        Assert.Equal("good", Badge(cut, "broker-state", "amq1M").GetAttribute("data-tone"));
        Assert.Equal("danger", Badge(cut, "broker-state", "amq1S").GetAttribute("data-tone"));
        Assert.Equal("info", Badge(cut, "broker-role", "amq1M").GetAttribute("data-tone"));
        Assert.Equal("master", Badge(cut, "broker-role", "amq1M").TextContent.Trim());
        // No fixed narrow width for the name column: it is as wide as its widest name.
        Assert.StartsWith("grid-template-columns: max-content ", cut.Find("table.brokers").GetAttribute("style"), StringComparison.Ordinal);
    }

    private static AngleSharp.Dom.IElement Badge(IRenderedComponent<Brokers> cut, string testId, string broker) =>
        cut.Find($"[data-testid={testId}][data-broker={broker}] .state-badge");

    [Fact]
    public void Brokers_NewSnapshotPushed_UpdatesLive()
    {
        var cut = Render<Brokers>();
        Monitor.Brokers.Writer.TryWrite([FakeMonitorSource.Broker("amq1M", state: "master unprotected")]);
        cut.WaitForState(() => cut.Markup.Contains("master unprotected", StringComparison.Ordinal));

        Monitor.Brokers.Writer.TryWrite([FakeMonitorSource.Broker("amq1M", state: "master protected"), FakeMonitorSource.Broker("late", state: "stopped")]);

        cut.WaitForState(() => cut.Markup.Contains("master protected", StringComparison.Ordinal));
        Assert.DoesNotContain("master unprotected", cut.Markup, StringComparison.Ordinal);
        Assert.Contains("late", cut.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void Brokers_SharedStoreBroker_ShowsItsModeStoreHolderAndFailingRenewals()
    {
        var cut = Render<Brokers>();
        var since = new DateTimeOffset(2026, 12, 7, 21, 0, 5, TimeSpan.Zero);
        var waiting = FakeMonitorSource.Broker("amq1S", state: "waiting for lock") with
        {
            Ha = new("Database", "PostgreSQL db:5432/brokers", "lease held by amq1M on host-a (pid 42)", since, "no answer within 1000 ms", since.AddSeconds(3), null),
        };

        Monitor.Brokers.Writer.TryWrite([waiting]);

        cut.WaitForState(() => cut.Markup.Contains("Database: PostgreSQL db:5432/brokers", StringComparison.Ordinal));
        Assert.Contains("lease held by amq1M on host-a (pid 42), since 21:00:05 UTC", cut.Markup, StringComparison.Ordinal);
        Assert.Equal("lease renewals failing since 21:00:08 UTC: no answer within 1000 ms", cut.Find("[data-testid=broker-renewal-failing]").TextContent);
    }

    [Fact]
    public void Brokers_NameWithScript_RenderedEncoded()
    {
        var cut = Render<Brokers>();

        Monitor.Brokers.Writer.TryWrite([FakeMonitorSource.Broker("<script>alert(1)</script>")]);

        cut.WaitForState(() => cut.Markup.Contains("alert(1)", StringComparison.Ordinal));
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", cut.Markup, StringComparison.Ordinal);
        Assert.Empty(cut.FindAll("script"));
    }

    [Fact]
    public async Task Brokers_Disposed_SubscriptionCancelled()
    {
        var cut = Render<Brokers>();
        Monitor.Brokers.Writer.TryWrite([FakeMonitorSource.Broker("amq1M")]);
        cut.WaitForState(() => cut.Markup.Contains("amq1M", StringComparison.Ordinal));
        Assert.Equal(1, Monitor.Watchers);

        await DisposeComponentsAsync();

        Assert.Equal(0, Monitor.Watchers);
    }
}
