using Broker.Core.Events;
using BrokerConsole.Components.Pages;

namespace BrokerConsole.Components.Tests;

public sealed class EventsPageTests : ConsoleContext
{
    [Fact]
    public void Events_Snapshot_Rendered()
    {
        Monitor.EventSnapshot = [FakeMonitorSource.Event("amq1M", BrokerEventKind.BrokerStarted, "started on tcp://127.0.0.1:61613")];

        var cut = Render<Events>();

        cut.WaitForState(() => cut.Markup.Contains("started on tcp://127.0.0.1:61613", StringComparison.Ordinal));
        Assert.Contains("BrokerStarted", cut.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void Events_BatchPushed_Appended()
    {
        Monitor.EventSnapshot = [FakeMonitorSource.Event("amq1M", BrokerEventKind.BrokerStarted, "first")];
        var cut = Render<Events>();
        cut.WaitForState(() => cut.Markup.Contains("first", StringComparison.Ordinal));

        Monitor.Events.Writer.TryWrite([
            FakeMonitorSource.Event("amq1M", BrokerEventKind.DestinationCreated, "/queue/orders"),
            FakeMonitorSource.Event("amq1M", BrokerEventKind.SlaveAttached, "amq1S"),
        ]);

        cut.WaitForState(() => cut.Markup.Contains("SlaveAttached", StringComparison.Ordinal));
        Assert.Contains("/queue/orders", cut.Markup, StringComparison.Ordinal);
        Assert.Contains("first", cut.Markup, StringComparison.Ordinal);
        // Newest first.
        Assert.True(cut.Markup.IndexOf("SlaveAttached", StringComparison.Ordinal) < cut.Markup.IndexOf("first", StringComparison.Ordinal));
    }

    [Fact]
    public void Events_QueueNameWithScript_RenderedEncoded()
    {
        var cut = Render<Events>();

        Monitor.Events.Writer.TryWrite([FakeMonitorSource.Event("amq1M", BrokerEventKind.DestinationCreated, "/queue/<script>alert(1)</script>")]);

        cut.WaitForState(() => cut.Markup.Contains("alert(1)", StringComparison.Ordinal));
        Assert.Contains("/queue/&lt;script&gt;alert(1)&lt;/script&gt;", cut.Markup, StringComparison.Ordinal);
        Assert.Empty(cut.FindAll("script"));
    }

    [Fact]
    public async Task Events_Disposed_SubscriptionCancelled()
    {
        var cut = Render<Events>();
        Monitor.Events.Writer.TryWrite([FakeMonitorSource.Event("amq1M", BrokerEventKind.BrokerStarted, "started")]);
        cut.WaitForState(() => cut.Markup.Contains("BrokerStarted", StringComparison.Ordinal));
        Assert.Equal(1, Monitor.Watchers);

        await DisposeComponentsAsync();

        Assert.Equal(0, Monitor.Watchers);
    }
}
