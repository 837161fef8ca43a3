using BrokerConsole.Components.Pages;

namespace BrokerConsole.Components.Tests;

public sealed class SetAsideAlertsTests : ConsoleContext
{
    private IRenderedComponent<Brokers> RenderBrokers(params string[] names)
    {
        var cut = Render<Brokers>();
        Monitor.Brokers.Writer.TryWrite([.. names.Select(n => FakeMonitorSource.Broker(n))]);
        cut.WaitForState(() => cut.FindAll("[data-testid=broker-name]").Count == names.Length);
        return cut;
    }

    [Fact]
    public void Archive_Listed_AlertSaysCountTimeRangeAndDestinations()
    {
        SetAside.Archives.Add(FakeSetAsideArchives.View("amq1M", "20261127-101500-from-501", 1000));

        var cut = RenderBrokers("amq1M", "amq1S");

        var alert = cut.WaitForElement("[data-testid=set-aside][data-broker=amq1M]");
        Assert.Equal("alert", alert.GetAttribute("role"));
        Assert.Contains("amq1M: 1,000 receipted messages set aside at 2026-11-27 10:15:00 UTC, never delivered",
            alert.QuerySelector("[data-testid=set-aside-headline]")!.TextContent, StringComparison.Ordinal);
        Assert.Equal("accepted from 2026-11-27 10:14:01 UTC to 2026-11-27 10:14:14 UTC", alert.QuerySelector("[data-testid=set-aside-range]")!.TextContent);
        Assert.Equal("to /queue/orders (999), /queue/audit (1)", alert.QuerySelector("[data-testid=set-aside-destinations]")!.TextContent);
        Assert.Contains("2 more were consumed on amq1M", alert.TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void NoArchive_NoAlert()
    {
        var cut = RenderBrokers("amq1M");

        Assert.Empty(cut.FindAll("[data-testid=set-aside]"));
    }

    [Fact]
    public void Replay_Asked_SaysWhereAndWhatIsSkipped_AndWaits()
    {
        SetAside.Archives.Add(FakeSetAsideArchives.View("amq1M", "a1", 30, into: "amq1S"));
        var cut = RenderBrokers("amq1M");

        cut.WaitForElement("[data-testid=set-aside-replay]").Click();

        var dialog = cut.WaitForElement("[data-testid=confirm-dialog]");
        Assert.Equal("Replay 30 set-aside messages into amq1S?", dialog.GetAttribute("aria-label"));
        var text = cut.Find("[data-testid=confirm-text]").TextContent;
        Assert.Contains("sent to amq1S as they were", text, StringComparison.Ordinal);
        Assert.Contains("the same producer-id and producer-seq, or the same message id", text, StringComparison.Ordinal);
        Assert.Empty(SetAside.Runs);
    }

    [Fact]
    public void Replay_Confirmed_RunsAsTheUser_ShowsTheOutcome_AndTheAlertGoes()
    {
        SetAside.Archives.Add(FakeSetAsideArchives.View("amq1M", "a1", 30, into: "amq1S"));
        var cut = RenderBrokers("amq1M");

        cut.WaitForElement("[data-testid=set-aside-replay]").Click();
        cut.WaitForElement("#confirm-ok").Click();

        cut.WaitForAssertion(() => Assert.Equal("amq1M: archive a1 replayed into amq1S: 29 of 30 messages sent, 1 already held.",
            cut.Find("[data-testid=set-aside-status]").TextContent));
        Assert.Equal([("admin", "amq1M", "a1", "replay")], SetAside.Runs);
        Assert.Empty(cut.FindAll("[data-testid=set-aside]"));
    }

    [Fact]
    public void Discard_Cancelled_NothingRuns()
    {
        SetAside.Archives.Add(FakeSetAsideArchives.View("amq1M", "a1", 30));
        var cut = RenderBrokers("amq1M");

        cut.WaitForElement("[data-testid=set-aside-discard]").Click();
        Assert.Contains("are gone for good", cut.WaitForElement("[data-testid=confirm-text]").TextContent, StringComparison.Ordinal);
        cut.Find("#confirm-cancel").Click();

        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=confirm-dialog]")));
        Assert.Empty(SetAside.Runs);
        Assert.Single(cut.FindAll("[data-testid=set-aside]"));
    }

    [Fact]
    public void Discard_Confirmed_RunsAndSaysHowManyWent()
    {
        SetAside.Archives.Add(FakeSetAsideArchives.View("amq1M", "a1", 30));
        var cut = RenderBrokers("amq1M");

        cut.WaitForElement("[data-testid=set-aside-discard]").Click();
        cut.WaitForElement("#confirm-ok").Click();

        cut.WaitForAssertion(() => Assert.Equal("amq1M: archive a1 discarded (30 messages).", cut.Find("[data-testid=set-aside-status]").TextContent));
        Assert.Equal([("admin", "amq1M", "a1", "discard")], SetAside.Runs);
    }

    [Fact]
    public void Replay_Refused_ReasonShown_AndTheAlertStays()
    {
        SetAside.Archives.Add(FakeSetAsideArchives.View("amq1M", "a1", 30));
        SetAside.Refusal = "the master amq1S takes no changes now (handing over)";
        var cut = RenderBrokers("amq1M");

        cut.WaitForElement("[data-testid=set-aside-replay]").Click();
        cut.WaitForElement("#confirm-ok").Click();

        cut.WaitForAssertion(() => Assert.Contains("replay of a1 refused: the master amq1S takes no changes now",
            cut.Find("[data-testid=set-aside-error]").TextContent, StringComparison.Ordinal));
        Assert.Single(cut.FindAll("[data-testid=set-aside]"));
    }

    [Fact]
    public void MasterOnAnotherHost_ReplayDisabled_AndSaysWhatToDo()
    {
        SetAside.Archives.Add(FakeSetAsideArchives.View("amq1M", "a1", 30, into: null,
            refusal: "amq1M is a slave of amq1S, which this process does not run: copy the folder /data/amq1M/set-aside/a1 into the master's data directory"));

        var cut = RenderBrokers("amq1M");

        Assert.True(cut.WaitForElement("[data-testid=set-aside-replay]").HasAttribute("disabled"));
        Assert.Contains("Replay is not possible here: amq1M is a slave of amq1S, which this process does not run: copy the folder",
            cut.Find("[data-testid=set-aside-refusal]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void Viewer_SeesTheAlert_NoButtons()
    {
        SignIn("viewer", "viewer");
        SetAside.Archives.Add(FakeSetAsideArchives.View("amq1M", "a1", 30));

        var cut = RenderBrokers("amq1M");

        cut.WaitForElement("[data-testid=set-aside]");
        Assert.Empty(cut.FindAll("[data-testid=set-aside-replay]"));
        Assert.Empty(cut.FindAll("[data-testid=set-aside-discard]"));
    }

    [Fact]
    public void NothingUndelivered_ListedQuietly_DiscardOnly()
    {
        SetAside.Archives.Add(FakeSetAsideArchives.View("amq1M", "a1", 0));

        var cut = RenderBrokers("amq1M");

        var note = cut.WaitForElement("[data-testid=set-aside]");
        Assert.Equal("note", note.GetAttribute("role"));
        Assert.Contains("no undelivered message among them", note.TextContent, StringComparison.Ordinal);
        Assert.Empty(cut.FindAll("[data-testid=set-aside-replay]"));
        Assert.Single(cut.FindAll("[data-testid=set-aside-discard]"));
    }
}
