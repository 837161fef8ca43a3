using BrokerConsole.Api;
using BrokerConsole.Components.Pages;

namespace BrokerConsole.Components.Tests;

public sealed class BrokersActionsTests : ConsoleContext
{
    private static BrokerView Slave(long last, long partner) => FakeMonitorSource.Broker("amq1S", state: "slave in sync") with
    {
        Role = "slave",
        Replication = new Broker.Server.ReplicationStatus("in sync", "amq1M", true, last, partner, Math.Max(0, partner - last), 0, 0, 0, 0),
    };

    private IRenderedComponent<Brokers> RenderBrokers(params BrokerView[] brokers)
    {
        var cut = Render<Brokers>();
        Monitor.Brokers.Writer.TryWrite(brokers);
        cut.WaitForState(() => cut.FindAll("[data-testid=broker-name]").Count == brokers.Length);
        return cut;
    }

    [Fact]
    public void Promote_Asked_SaysWhichCopyIsNewerAndWaits()
    {
        var cut = RenderBrokers(FakeMonitorSource.Broker("amq1M"), Slave(last: 90, partner: 100));

        cut.Find("[data-testid=action-promote][data-broker=amq1S]").Click();

        var text = cut.WaitForElement("[data-testid=confirm-text]").TextContent;
        Assert.Contains("amq1M's copy is newer: amq1S lacks 10 records", text, StringComparison.Ordinal);
        Assert.Empty(Actions.Runs);
    }

    [Fact]
    public void Switchover_RunningElsewhere_ThatBrokersButtonsDisabledWithStatus()
    {
        var cut = RenderBrokers(FakeMonitorSource.Broker("amq1M", "master protected"), Slave(100, 100));
        Assert.NotEmpty(cut.FindAll("[data-testid^=action-][data-broker=amq1M]"));

        using (Operations.Start(RunningOperations.ActionKey("amq1M"), "a switchover of amq1M", 0))
        {
            cut.WaitForAssertion(() => Assert.All(cut.FindAll("[data-testid^=action-][data-broker=amq1M]"), b => Assert.True(b.HasAttribute("disabled"))));
            Assert.Equal("a switchover of amq1M: running", cut.Find("[data-testid=action-amq1M-running]").TextContent.Trim());
            Assert.False(cut.Find("[data-testid=action-promote][data-broker=amq1S]").HasAttribute("disabled"));
        }

        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid^=action-][data-broker=amq1M][disabled]")));
        Assert.Empty(cut.FindAll("[data-testid=action-amq1M-running]"));
    }

    [Fact]
    public void Promote_Cancelled_NothingRuns()
    {
        var cut = RenderBrokers(Slave(100, 100));

        cut.Find("[data-testid=action-promote]").Click();
        cut.WaitForElement("#confirm-cancel").Click();

        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=confirm-dialog]")));
        Assert.Empty(Actions.Runs);
    }

    [Fact]
    public void Stop_Confirmed_RunsAsTheUserAndShowsTheState()
    {
        var cut = RenderBrokers(FakeMonitorSource.Broker("amq1M"));

        cut.Find("[data-testid=action-stop][data-broker=amq1M]").Click();
        cut.WaitForElement("#confirm-ok").Click();

        cut.WaitForAssertion(() => Assert.Contains("amq1M: stop done; now master unprotected", cut.Find("[data-testid=operation-status]").TextContent, StringComparison.Ordinal));
        Assert.Equal([("admin", "amq1M", OperatorAction.Stop)], Actions.Runs);
    }

    [Fact]
    public void Switchover_Refused_ReasonShown()
    {
        Actions.Refusal = "switchover is not available yet";
        var cut = RenderBrokers(FakeMonitorSource.Broker("amq1M"));

        cut.Find("[data-testid=action-switchover]").Click();
        cut.WaitForElement("#confirm-ok").Click();

        cut.WaitForAssertion(() => Assert.Contains("switchover is not available yet", cut.Find("[data-testid=operation-error]").TextContent, StringComparison.Ordinal));
    }

    [Fact]
    public void Stopped_OffersStartOnly()
    {
        var cut = RenderBrokers(FakeMonitorSource.Broker("amq1M", state: "stopped"));

        Assert.Single(cut.FindAll("[data-testid=action-start]"));
        Assert.Empty(cut.FindAll("[data-testid=action-stop]"));
        Assert.Empty(cut.FindAll("[data-testid=action-switchover]"));
        Assert.Empty(cut.FindAll("[data-testid=action-promote]"));
    }

    [Fact]
    public void StoppedSlave_OffersStartAndPromote()
    {
        // ShutdownOnMasterFailure: the slave stopped when its master failed and waits for an operator to promote it.
        var slave = Slave(100, 100) with { State = "stopped" };

        var cut = RenderBrokers(slave);

        Assert.Single(cut.FindAll("[data-testid=action-start]"));
        Assert.Single(cut.FindAll("[data-testid=action-promote]"));
        Assert.Empty(cut.FindAll("[data-testid=action-stop]"));
    }

    [Fact]
    public void Viewer_NoActionButtons()
    {
        SignIn("viewer", "viewer");

        var cut = RenderBrokers(FakeMonitorSource.Broker("amq1M"), Slave(1, 1));

        Assert.Empty(cut.FindAll("[data-testid^=action-]"));
    }

    [Fact]
    public void Chart_HistoryPerBroker_Drawn()
    {
        Monitor.History = [new Monitoring.RateSample(2, 1, 10), new Monitoring.RateSample(4, 3, 20)];

        var cut = RenderBrokers(FakeMonitorSource.Broker("amq1M"));

        var chart = cut.Find("[data-testid=broker-chart]");
        Assert.Contains("in 4 msg/s", chart.TextContent, StringComparison.Ordinal);
        Assert.Contains("depth 20", chart.TextContent, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(100, 100, "Both copies end at record 100")]
    [InlineData(120, 100, "amq1S's copy is newer: amq1M lacks 20 records")]
    public void Newer_Sequences_Said(long last, long partner, string expected) =>
        Assert.StartsWith(expected, OperatorConfirmation.Newer(Slave(last, partner)), StringComparison.Ordinal);
}
