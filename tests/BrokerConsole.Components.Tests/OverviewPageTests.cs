using Broker.Core.Events;
using BrokerConsole.Api;
using BrokerConsole.Components.Pages;
using BrokerConsole.Remote;
using static BrokerConsole.Components.Tests.FleetFixtures;

namespace BrokerConsole.Components.Tests;

public sealed class OverviewPageTests : ConsoleContext
{
    /// <summary>The default pair split over two hosts: <c>amq1M</c> on <c>hostA</c> (master), <c>amq1S</c> on <c>hostB</c> (slave).</summary>
    private static FleetSnapshot PairAcrossHosts(string masterState = "master protected", string slaveState = "slave in sync") =>
        Snapshot([Host("local"), Host("hostA"), Host("hostB")],
            On("hostA", Master("amq1M", "amq1S", masterState)),
            On("hostB", Slave("amq1S", "amq1M", slaveState)));

    private IRenderedComponent<Overview> RenderOverview(FleetSnapshot fleet)
    {
        var cut = Render<Overview>();
        Fleet.Snapshots.Writer.TryWrite(fleet);
        cut.WaitForState(() => cut.FindAll("[data-testid=overview-summary]").Count == 1);
        return cut;
    }

    private static string MemberText(IRenderedComponent<Overview> cut, string broker, string part) =>
        cut.Find($"[data-testid=pair-member][data-broker={broker}] [data-testid={part}]").TextContent.Trim();

    [Fact]
    public void Overview_PairAcrossTwoHosts_OneCardWithBothNamesAndHostsWhole()
    {
        var cut = RenderOverview(PairAcrossHosts());

        var pair = Assert.Single(cut.FindAll("[data-testid=pair]"));
        Assert.Equal("pair", pair.GetAttribute("data-kind"));
        Assert.Equal(["amq1M", "amq1S"], pair.QuerySelectorAll("[data-testid=member-name]").Select(e => e.TextContent.Trim()));
        Assert.Equal(["hostA", "hostB"], pair.QuerySelectorAll("[data-testid=member-host]").Select(e => e.TextContent.Trim()));
        Assert.Equal("master protected", MemberText(cut, "amq1M", "member-state"));
        Assert.Equal("slave in sync", MemberText(cut, "amq1S", "member-state"));
        Assert.Equal("good", cut.Find("[data-testid=pair-member][data-broker=amq1M] [data-testid=member-state]").GetAttribute("data-tone"));
        Assert.Equal("protected", cut.Find("[data-testid=pair-protection]").TextContent.Trim());
        Assert.Equal("in sync", cut.Find("[data-testid=pair-link]").TextContent.Trim());
        Assert.Equal("0 records, 0 B, 0 ms", cut.Find("[data-testid=pair-lag]").TextContent.Trim());
        Assert.Equal("3", cut.Find("[data-testid=pair-epoch]").TextContent.Trim());
        Assert.Equal("none seen", cut.Find("[data-testid=pair-failover]").TextContent.Trim());
        Assert.Equal("No alerts.", cut.Find("[data-testid=alerts-none]").TextContent.Trim());
        Assert.Equal("1 pair and 0 single brokers on 3 hosts", cut.Find("[data-testid=overview-summary]").TextContent.Trim());
    }

    [Fact]
    public void Overview_BrokerWithTraffic_CardShowsRatesDepthConnectionsAndUseInPercent()
    {
        var busy = Master("amq1M", null, "master unprotected") with
        {
            Connections = 12,
            Memory = new UsageView(64L << 20, 256L << 20),
            Store = new UsageView(900L << 20, 1L << 30),
            Traffic = new BrokerTraffic(1250.4, 7.24, 50_000),
        };

        var cut = RenderOverview(Snapshot([Host("local"), Host("hostA")], On("hostA", busy)));

        Assert.Equal("1,250 msg/s", MemberText(cut, "amq1M", "member-rate-in"));
        Assert.Equal("7.2 msg/s", MemberText(cut, "amq1M", "member-rate-out"));
        Assert.Equal("50,000", MemberText(cut, "amq1M", "member-depth"));
        Assert.Equal("12", MemberText(cut, "amq1M", "member-connections"));
        Assert.Equal("25 %", MemberText(cut, "amq1M", "member-memory"));
        Assert.Equal("88 %", MemberText(cut, "amq1M", "member-store"));
        Assert.Equal("900 MiB of 1 GiB", cut.Find("[data-testid=member-store]").GetAttribute("title"));
        Assert.Equal(["StoreHigh"], cut.FindAll("[data-testid=alert]").Select(a => a.GetAttribute("data-kind") ?? ""));
    }

    [Fact]
    public void Overview_HostSendingNoRates_CardSaysNotKnown()
    {
        var cut = RenderOverview(Snapshot([Host("local"), Host("hostA")], On("hostA", Master("amq1M", null, "master unprotected"))));

        Assert.Equal("not known", MemberText(cut, "amq1M", "member-rates-unknown"));
        Assert.Empty(cut.FindAll("[data-testid=member-rate-in]"));
    }

    [Fact]
    public void Overview_LocalActionRunningElsewhere_ItsButtonsDisabledWithStatus()
    {
        var cut = RenderOverview(Snapshot([Host("local")], On("local", Master("b1", null, "master unprotected"))));
        Assert.NotEmpty(cut.FindAll("[data-testid^=fleet-action-][data-broker=b1]"));

        using (Operations.Start(RunningOperations.ActionKey("b1"), "a stop of b1", 0))
        {
            cut.WaitForAssertion(() => Assert.All(cut.FindAll("[data-testid^=fleet-action-][data-broker=b1]"), b => Assert.True(b.HasAttribute("disabled"))));
            Assert.Equal("a stop of b1: running", cut.Find("[data-testid=fleet-action-b1-running]").TextContent.Trim());
        }

        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid^=fleet-action-][data-broker=b1][disabled]")));
    }

    [Fact]
    public void Overview_SingleBroker_CardWithoutPartner()
    {
        var cut = RenderOverview(Snapshot([Host("local")], On("local", Master("standalone-broker-with-a-long-name", null, "master unprotected"))));

        var card = Assert.Single(cut.FindAll("[data-testid=pair]"));
        Assert.Equal("single", card.GetAttribute("data-kind"));
        Assert.Equal("standalone-broker-with-a-long-name", Assert.Single(card.QuerySelectorAll("[data-testid=member-name]")).TextContent.Trim());
        Assert.Empty(card.QuerySelectorAll("[data-testid=pair-link]"));
        Assert.Equal("no slave", cut.Find("[data-testid=pair-protection]").TextContent.Trim());
    }

    [Fact]
    public void Overview_SlaveOnUnreachableHost_MarkedAsLastSeenAndNoButtonsForIt()
    {
        // Fleet keeps an unreachable host's brokers as last received, so the pair is still drawn whole.
        var master = On("hostA", Master("amq1M", null, "master unprotected"));
        var slave = On("hostB", Slave("amq1S", "amq1M"), HostState.Unreachable);
        var fleet = new FleetSnapshot([Host("local"), Host("hostA"), Host("hostB", HostState.Unreachable, "connection refused")], [master, slave],
            [Pair(FleetFixtures.Member("hostA", "amq1M", "master", "master unprotected"), FleetFixtures.Member("hostB", "amq1S", "slave", "slave in sync", "unreachable"), link: "none")]);

        var cut = RenderOverview(fleet);

        Assert.Equal("host unreachable, as last seen", MemberText(cut, "amq1S", "member-host-state"));
        Assert.Empty(cut.FindAll("[data-testid=pair-member][data-broker=amq1M] [data-testid=member-host-state]"));
        Assert.Empty(cut.FindAll("[data-testid^=fleet-action-][data-broker=amq1S]"));
        Assert.NotEmpty(cut.FindAll("[data-testid^=fleet-action-][data-broker=amq1M]"));
        Assert.Equal("unprotected", cut.Find("[data-testid=pair-protection]").TextContent.Trim());
        Assert.Equal(["HostUnreachable", "UnprotectedMaster"], cut.FindAll("[data-testid=alert]").Select(a => a.GetAttribute("data-kind") ?? ""));
    }

    [Fact]
    public void Overview_FailoverPushed_UpdatesLive()
    {
        var cut = RenderOverview(PairAcrossHosts());

        Fleet.Snapshots.Writer.TryWrite(Snapshot([Host("local"), Host("hostA", HostState.Unreachable, "connection refused"), Host("hostB")],
            On("hostA", Master("amq1M", "amq1S"), HostState.Unreachable),
            On("hostB", Master("amq1S", null, "master unprotected"))));

        cut.WaitForState(() => cut.FindAll("[data-testid=alert][data-kind=HostUnreachable]").Count == 1);
        Assert.Equal("master unprotected", MemberText(cut, "amq1S", "member-state"));
    }

    [Fact]
    public void Overview_Timeline_NewestEventsOfEveryHost_WithHostBrokerKindAndDetail()
    {
        var at = new DateTimeOffset(2026, 12, 8, 10, 0, 0, TimeSpan.Zero);
        var cut = RenderOverview(PairAcrossHosts());
        Assert.Equal("Nothing has happened yet.", cut.Find("[data-testid=timeline-empty]").TextContent.Trim());

        Fleet.Snapshots.Writer.TryWrite(PairAcrossHosts() with
        {
            Timeline =
            [
                new FleetEvent("hostB", new BrokerEvent(at.AddSeconds(1), "amq1S", BrokerEventKind.Promoted, "the master failed")),
                new FleetEvent("hostB", new BrokerEvent(at, "amq1S", BrokerEventKind.MasterFailed, "the master closed the link")),
            ],
        });

        cut.WaitForState(() => cut.FindAll("[data-testid=timeline-event]").Count == 2);
        var first = cut.FindAll("[data-testid=timeline-event]")[0];
        Assert.Equal("hostB", first.GetAttribute("data-host"));
        Assert.Equal("Promoted", first.GetAttribute("data-kind"));
        Assert.Contains("10:00:01 UTC", first.TextContent);
        Assert.Contains("amq1S on hostB", first.TextContent);
        Assert.Contains("the master failed", first.TextContent);
        Assert.Equal("warning", first.QuerySelector("[data-testid=timeline-kind]")!.GetAttribute("data-tone"));
        Assert.Equal("danger", cut.FindAll("[data-testid=timeline-kind]")[1].GetAttribute("data-tone"));
    }

    [Fact]
    public void Overview_EveryKindOfAlert_Listed()
    {
        var fleet = Snapshot(
            [Host("local"), Host("hostA"), Host("hostB"), Host("down", HostState.Unreachable, "no route to host"),
             Host("locked", HostState.Refused, "401 Unauthorized"), Host("newer", version: 2, mismatch: "the host speaks monitor protocol version 2, this console 1")],
            On("hostA", Master("amq1M", "amq1S", "master unprotected", lagRecords: 40, lagBytes: 4000, lagMs: 400)),
            On("hostB", Slave("amq1S", "amq1M", "slave catching up") with { Store = new UsageView(950, 1000), Memory = new UsageView(900, 1000) }));

        var cut = RenderOverview(fleet);

        // Critical first, then warnings, each in the order of AlertKind.
        var kinds = cut.FindAll("[data-testid=alert]").Select(a => a.GetAttribute("data-kind") ?? "").ToList();
        Assert.Equal(["HostUnreachable", "HostRefused", "UnprotectedMaster", "SlaveCatchingUp", "StoreHigh", "MemoryHigh", "ProtocolMismatch"], kinds);
        var down = cut.Find("[data-testid=alert][data-kind=HostUnreachable] [data-testid=alert-text]").TextContent;
        Assert.Contains("unreachable since 03:00:05 UTC: no route to host", down, StringComparison.Ordinal);
        Assert.Equal("critical", cut.Find("[data-testid=alert][data-kind=HostUnreachable] [data-testid=alert-severity]").TextContent.Trim());
        Assert.Equal("unprotected", cut.Find("[data-testid=pair-protection]").TextContent.Trim());
        Assert.Equal("40 records, 3.9 KiB, 400 ms", cut.Find("[data-testid=pair-lag]").TextContent.Trim());
    }

    [Fact]
    public void Overview_Viewer_NoAdminButtons()
    {
        SignIn("viewer", "viewer");

        var cut = RenderOverview(PairAcrossHosts());

        Assert.Equal(2, cut.FindAll("[data-testid=pair-member]").Count);
        Assert.Empty(cut.FindAll("[data-testid^=fleet-action-]"));
    }

    [Fact]
    public void Overview_Admin_ActionsOfferedPerMember()
    {
        var cut = RenderOverview(PairAcrossHosts());

        Assert.Single(cut.FindAll("[data-testid=fleet-action-promote][data-broker=amq1S][data-host=hostB]"));
        Assert.Single(cut.FindAll("[data-testid=fleet-action-stop][data-broker=amq1M][data-host=hostA]"));
        Assert.Empty(cut.FindAll("[data-testid=fleet-action-promote][data-broker=amq1M]"));
    }

    [Fact]
    public void Overview_RemotePromoteConfirmed_GoesToItsHostAndShowsTheAnswer()
    {
        var cut = RenderOverview(PairAcrossHosts());

        cut.Find("[data-testid=fleet-action-promote][data-broker=amq1S]").Click();
        Assert.Contains("Promote amq1S on hostB?", cut.WaitForElement("[data-testid=confirm-dialog]").OuterHtml, StringComparison.Ordinal);
        Assert.Empty(RemoteActions.Runs);
        cut.Find("#confirm-ok").Click();

        cut.WaitForAssertion(() => Assert.Equal("amq1S on hostB: promote done; now master unprotected.", cut.Find("[data-testid=operation-status]").TextContent));
        Assert.Equal([("admin", "hostB", "amq1S", OperatorAction.Promote)], RemoteActions.Runs);
        Assert.Empty(Actions.Runs);
    }

    [Fact]
    public void Overview_RemoteRefuses_ItsReasonShown()
    {
        RemoteActions.Answer = FakeRemoteActions.Json(403, """{"status":403,"detail":"user console-b may not administer"}""");
        var cut = RenderOverview(PairAcrossHosts());

        cut.Find("[data-testid=fleet-action-stop][data-broker=amq1M]").Click();
        cut.WaitForElement("#confirm-ok").Click();

        cut.WaitForAssertion(() => Assert.Equal("amq1M on hostA: stop refused by hostA: 403: user console-b may not administer",
            cut.Find("[data-testid=operation-error]").TextContent));
        Assert.Empty(cut.FindAll("[data-testid=operation-status]"));
    }

    [Fact]
    public void Overview_RemoteHostUnreachable_FailureShown()
    {
        RemoteActions.Failure = new OperationException(502, "host 'hostA' (http://hostA.example:8161) is unreachable: connection refused");
        var cut = RenderOverview(PairAcrossHosts());

        cut.Find("[data-testid=fleet-action-stop][data-broker=amq1M]").Click();
        cut.WaitForElement("#confirm-ok").Click();

        cut.WaitForAssertion(() => Assert.Contains("is unreachable: connection refused", cut.Find("[data-testid=operation-error]").TextContent, StringComparison.Ordinal));
    }

    [Fact]
    public void Overview_ActionRunning_ButtonsDisabledUntilItEnds()
    {
        RemoteActions.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cut = RenderOverview(PairAcrossHosts());

        cut.Find("[data-testid=fleet-action-promote][data-broker=amq1S]").Click();
        cut.WaitForElement("#confirm-ok").Click();

        cut.WaitForAssertion(() => Assert.True(cut.Find("[data-testid=fleet-action-promote][data-broker=amq1S]").HasAttribute("disabled")));
        Assert.Single(cut.FindAll("[data-testid=fleet-action-running]"));
        // The other broker's buttons stay usable meanwhile.
        Assert.False(cut.Find("[data-testid=fleet-action-stop][data-broker=amq1M]").HasAttribute("disabled"));

        RemoteActions.Gate.SetResult();

        cut.WaitForAssertion(() => Assert.False(cut.Find("[data-testid=fleet-action-promote][data-broker=amq1S]").HasAttribute("disabled")));
        Assert.Empty(cut.FindAll("[data-testid=fleet-action-running]"));
        Assert.Single(RemoteActions.Runs);
    }

    [Fact]
    public void Overview_LocalBroker_ActionRunsHere()
    {
        var cut = RenderOverview(Snapshot([Host("local")], On("local", Master("amq1M", null, "master unprotected"))));

        cut.Find("[data-testid=fleet-action-stop][data-broker=amq1M][data-host=local]").Click();
        cut.WaitForElement("#confirm-ok").Click();

        cut.WaitForAssertion(() => Assert.Equal("amq1M on local: stop done; now master unprotected.", cut.Find("[data-testid=operation-status]").TextContent));
        Assert.Equal([("admin", "amq1M", OperatorAction.Stop)], Actions.Runs);
        Assert.Empty(RemoteActions.Runs);
    }

    [Fact]
    public async Task Overview_Disposed_SubscriptionCancelled()
    {
        RenderOverview(PairAcrossHosts());
        Assert.Equal(1, Fleet.Watchers);

        await DisposeComponentsAsync();

        Assert.Equal(0, Fleet.Watchers);
    }
}
