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

        cut.WaitForState(() => Grid(cut).Contains("started on tcp://127.0.0.1:61613", StringComparison.Ordinal));
        Assert.Contains("BrokerStarted", Grid(cut), StringComparison.Ordinal);
    }

    [Fact]
    public void Events_BatchPushed_Appended()
    {
        Monitor.EventSnapshot = [FakeMonitorSource.Event("amq1M", BrokerEventKind.BrokerStarted, "first")];
        var cut = Render<Events>();
        cut.WaitForState(() => Grid(cut).Contains("first", StringComparison.Ordinal));

        Monitor.Events.Writer.TryWrite([
            FakeMonitorSource.Event("amq1M", BrokerEventKind.DestinationCreated, "/queue/orders"),
            FakeMonitorSource.Event("amq1M", BrokerEventKind.SlaveAttached, "amq1S"),
        ]);

        cut.WaitForState(() => Grid(cut).Contains("SlaveAttached", StringComparison.Ordinal));
        Assert.Contains("/queue/orders", Grid(cut), StringComparison.Ordinal);
        Assert.Contains("first", Grid(cut), StringComparison.Ordinal);
        // Newest first.
        Assert.True(Grid(cut).IndexOf("SlaveAttached", StringComparison.Ordinal) < Grid(cut).IndexOf("first", StringComparison.Ordinal));
    }

    [Fact]
    public void Events_QueueNameWithScript_RenderedEncoded()
    {
        var cut = Render<Events>();

        Monitor.Events.Writer.TryWrite([FakeMonitorSource.Event("amq1M", BrokerEventKind.DestinationCreated, "/queue/<script>alert(1)</script>")]);

        cut.WaitForState(() => Grid(cut).Contains("alert(1)", StringComparison.Ordinal));
        Assert.Contains("/queue/&lt;script&gt;alert(1)&lt;/script&gt;", cut.Find("table.events").InnerHtml, StringComparison.Ordinal);
        Assert.Empty(cut.FindAll("script"));
    }

    [Fact]
    public async Task Events_Disposed_SubscriptionCancelled()
    {
        var cut = Render<Events>();
        Monitor.Events.Writer.TryWrite([FakeMonitorSource.Event("amq1M", BrokerEventKind.BrokerStarted, "started")]);
        cut.WaitForState(() => Grid(cut).Contains("BrokerStarted", StringComparison.Ordinal));
        Assert.Equal(1, Monitor.Watchers);

        await DisposeComponentsAsync();

        Assert.Equal(0, Monitor.Watchers);
    }

    [Fact]
    public void Filter_ByBrokerKindAndText_AppliesToEventsArrivingLater()
    {
        Monitor.EventSnapshot =
        [
            FakeMonitorSource.Event("b1", BrokerEventKind.BrokerStarted, "started on tcp://127.0.0.1:61613"),
            FakeMonitorSource.Event("b1", BrokerEventKind.DestinationCreated, "/queue/orders"),
            FakeMonitorSource.Event("b2", BrokerEventKind.SlaveInSync, "in sync with b1"),
        ];
        var cut = Render<Events>();
        cut.WaitForState(() => Rows(cut) == 3);
        Assert.Equal("3 of 3 events", cut.Find("[data-testid=events-count]").TextContent);

        cut.Find("#events-broker").Change("b1");
        // The live subscription renders too: wait for the filtered grid rather than read it mid-render.
        cut.WaitForState(() => Rows(cut) == 2);
        Assert.DoesNotContain("in sync with b1", cut.Markup, StringComparison.Ordinal);

        cut.Find("#events-kind").Change(nameof(BrokerEventKind.DestinationCreated));
        // The live subscription renders too: wait for the filtered grid rather than read it mid-render.
        cut.WaitForState(() => Rows(cut) == 1);
        Assert.Contains("/queue/orders", cut.Markup, StringComparison.Ordinal);

        // Live: a later batch goes through the same filters.
        Monitor.Events.Writer.TryWrite([
            FakeMonitorSource.Event("b1", BrokerEventKind.DestinationCreated, "/queue/invoices"),
            FakeMonitorSource.Event("b2", BrokerEventKind.DestinationCreated, "/queue/elsewhere"),
            FakeMonitorSource.Event("b1", BrokerEventKind.SlaveAttached, "b2 from 127.0.0.1"),
        ]);
        cut.WaitForState(() => Rows(cut) == 2);
        Assert.Contains("/queue/invoices", cut.Markup, StringComparison.Ordinal);
        Assert.DoesNotContain("/queue/elsewhere", cut.Markup, StringComparison.Ordinal);
        Assert.Equal("2 of 6 events", cut.Find("[data-testid=events-count]").TextContent);

        // Text search, case-insensitive, as the user types.
        cut.Find("#events-search").Input("INVOICES");
        // The live subscription renders too: wait for the filtered grid rather than read it mid-render.
        cut.WaitForState(() => Rows(cut) == 1);
        Assert.Contains("/queue/invoices", cut.Markup, StringComparison.Ordinal);

        // Clearing the broker and kind keeps the search alone.
        cut.Find("#events-broker").Change("");
        cut.Find("#events-kind").Change("");
        cut.Find("#events-search").Input("queue");
        Assert.Equal(3, Rows(cut));
        cut.Find("#events-search").Input("");
        Assert.Equal(6, Rows(cut));
    }

    [Fact]
    public void Filter_OffersEveryBrokerAndKind()
    {
        var cut = Render<Events>();

        Assert.Equal(["", "b1"], cut.FindAll("#events-broker fluent-option").Select(o => o.GetAttribute("value")));
        Assert.Equal(["", .. Enum.GetNames<BrokerEventKind>()], cut.FindAll("#events-kind fluent-option").Select(o => o.GetAttribute("value")));
    }

    /// <summary>The grid's text (the kind names are also the Kind filter's options, so never the whole markup).</summary>
    private static string Grid(IRenderedComponent<Events> cut) => cut.Find("table.events").TextContent;

    /// <summary>Data rows shown by the grid.</summary>
    private static int Rows(IRenderedComponent<Events> cut) => cut.FindAll("table.events tbody tr").Count(r => r.QuerySelector("td") is not null);
}
