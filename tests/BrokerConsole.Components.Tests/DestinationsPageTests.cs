using BrokerConsole.Components.Pages;
using BrokerConsole.Monitoring;

namespace BrokerConsole.Components.Tests;

public sealed class DestinationsPageTests : ConsoleContext
{
    private IRenderedComponent<Destinations> RenderWith(params DestinationRow[] rows)
    {
        var cut = Render<Destinations>(p => p.Add(d => d.Broker, "b1"));
        Monitor.Destinations.Writer.TryWrite(new DestinationChanges(true, rows, []));
        return cut;
    }

    private static string Pending(IRenderedComponent<Destinations> cut, string name) =>
        cut.Find($"[data-testid=pending][data-destination='{name}']").TextContent;

    private static DestinationRow[] Numbered(int count) =>
        [.. Enumerable.Range(0, count).Select(i => FakeMonitorSource.Row($"q{i:D5}", pending: i))];

    [Fact]
    public void Destinations_Snapshot_RowsWithFigures()
    {
        var cut = RenderWith(FakeMonitorSource.Row("orders", pending: 12, consumers: 2), FakeMonitorSource.Row("prices", kind: "topic"));

        cut.WaitForState(() => cut.FindAll("[data-testid=destination-name]").Count == 2);
        Assert.Equal("12", Pending(cut, "orders"));
        Assert.Equal("b1", Monitor.WatchedBroker);
        Assert.Contains("brokers/b1/queues/orders", cut.Find("a[data-destination=orders]").GetAttribute("href"), StringComparison.Ordinal);
        Assert.Empty(cut.FindAll("a[data-destination=prices]"));
    }

    [Fact]
    public void Destinations_DepthChanges_CellUpdatesLive()
    {
        var cut = RenderWith(FakeMonitorSource.Row("orders", pending: 1), FakeMonitorSource.Row("other", pending: 5));
        cut.WaitForState(() => cut.FindAll("[data-testid=pending]").Count == 2);

        Monitor.Destinations.Writer.TryWrite(new DestinationChanges(false, [FakeMonitorSource.Row("orders", pending: 900)], []));

        cut.WaitForAssertion(() => Assert.Equal("900", Pending(cut, "orders")));
        Assert.Equal("5", Pending(cut, "other"));
    }

    [Fact]
    public void Destinations_Removed_RowGoes()
    {
        var cut = RenderWith(FakeMonitorSource.Row("orders"), FakeMonitorSource.Row("gone"));
        cut.WaitForState(() => cut.FindAll("[data-testid=pending]").Count == 2);

        Monitor.Destinations.Writer.TryWrite(new DestinationChanges(false, [], [FakeMonitorSource.Row("gone")]));

        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=pending]")));
    }

    [Fact]
    public void Destinations_InFlight_ShownAndLive()
    {
        var cut = RenderWith(FakeMonitorSource.Row("orders", pending: 3, inFlight: 7), FakeMonitorSource.Row("prices", kind: "topic", inFlight: 2));
        cut.WaitForState(() => cut.FindAll("[data-testid=in-flight]").Count == 2);
        Assert.Equal("7", InFlight(cut, "orders"));
        Assert.Equal("2", InFlight(cut, "prices"));

        Monitor.Destinations.Writer.TryWrite(new DestinationChanges(false, [FakeMonitorSource.Row("orders", pending: 3, inFlight: 0)], []));

        cut.WaitForAssertion(() => Assert.Equal("0", InFlight(cut, "orders")));
    }

    [Fact]
    public void Destinations_SortByInFlight_FewestFirstThenMost()
    {
        var cut = RenderWith(FakeMonitorSource.Row("a", inFlight: 5), FakeMonitorSource.Row("b", inFlight: 1), FakeMonitorSource.Row("c", inFlight: 3));
        cut.WaitForState(() => cut.FindAll("[data-testid=in-flight]").Count == 3);

        SortButton(cut, "In flight").Click();
        cut.WaitForAssertion(() => Assert.Equal(["b", "c", "a"], Names(cut)));

        SortButton(cut, "In flight").Click();
        cut.WaitForAssertion(() => Assert.Equal(["a", "c", "b"], Names(cut)));
    }

    private static string InFlight(IRenderedComponent<Destinations> cut, string name) =>
        cut.Find($"[data-testid=in-flight][data-destination='{name}']").TextContent;

    private static IEnumerable<string> Names(IRenderedComponent<Destinations> cut) =>
        cut.FindAll("[data-testid=destination-name]").Select(e => e.TextContent);

    private static AngleSharp.Dom.IElement SortButton(IRenderedComponent<Destinations> cut, string column) =>
        cut.FindAll("th").Single(th => th.TextContent.Contains(column, StringComparison.Ordinal)).QuerySelector(".col-sort-button")!;

    [Fact]
    public void Destinations_TenThousand_RendersOnePage()
    {
        var cut = RenderWith(Numbered(10_000));

        // A generous timeout: building 10,000 rows on a loaded test machine, not the render, takes the time.
        cut.WaitForAssertion(() =>
        {
            Assert.Equal(Destinations.PageSize, cut.FindAll("[data-testid=destination-name]").Count);
            Assert.Contains("10000 of 10000", cut.Find("[data-testid=destination-count]").TextContent, StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(30));
        Assert.Equal("q00000", cut.FindAll("[data-testid=destination-name]")[0].TextContent);
        Assert.Contains("10000 of 10000", cut.Find("[data-testid=destination-count]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void Destinations_NextPage_ShowsTheNextRows()
    {
        var cut = RenderWith(Numbered(60));
        cut.WaitForAssertion(() => Assert.Contains("60 of 60", cut.Find("[data-testid=destination-count]").TextContent, StringComparison.Ordinal));

        cut.Find("[aria-label='Go to next page']").Click();

        cut.WaitForAssertion(() => Assert.Equal("q00025", cut.FindAll("[data-testid=destination-name]")[0].TextContent));
    }

    [Fact]
    public void Destinations_Search_OnlyMatchingNames()
    {
        var cut = RenderWith([.. Numbered(40), FakeMonitorSource.Row("orders.eu"), FakeMonitorSource.Row("orders.us")]);
        cut.WaitForAssertion(() => Assert.Equal(Destinations.PageSize, cut.FindAll("[data-testid=destination-name]").Count));

        cut.Find("#destination-search").Input("ORDERS");

        cut.WaitForAssertion(() => Assert.Equal(["orders.eu", "orders.us"], cut.FindAll("[data-testid=destination-name]").Select(e => e.TextContent)));
        Assert.Contains("2 of 42", cut.Find("[data-testid=destination-count]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void Destinations_SparklineFromHistory_Drawn()
    {
        Monitor.History = [new RateSample(1, 0, 1), new RateSample(5, 0, 2), new RateSample(3, 0, 3)];

        var cut = RenderWith(FakeMonitorSource.Row("orders", rate: 3));

        cut.WaitForAssertion(() => Assert.Equal("0,15.5 40,1.7 80,8.6", cut.Find("[data-testid=sparkline] polyline").GetAttribute("points")));
    }

    [Fact]
    public void Destinations_NoMessagesIn_SparklineSaysSoInsteadOfAnEmptyBox()
    {
        Monitor.History = [new RateSample(0, 0, 1), new RateSample(0, 0, 2)];

        var cut = RenderWith(FakeMonitorSource.Row("quiet"));

        cut.WaitForAssertion(() => Assert.Equal("no traffic", cut.Find("[data-testid=sparkline-idle]").TextContent));
        Assert.Empty(cut.FindAll("[data-testid=sparkline]"));
    }

    [Fact]
    public void Destinations_NameWithScript_RenderedEncoded()
    {
        var cut = RenderWith(FakeMonitorSource.Row("<script>alert(1)</script>"));

        cut.WaitForState(() => cut.Markup.Contains("alert(1)", StringComparison.Ordinal));
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", cut.Markup, StringComparison.Ordinal);
        Assert.Empty(cut.FindAll("script"));
    }

    [Fact]
    public async Task Destinations_Disposed_SubscriptionCancelled()
    {
        var cut = RenderWith(FakeMonitorSource.Row("orders"));
        cut.WaitForState(() => Monitor.Watchers == 1);

        await DisposeComponentsAsync();

        Assert.Equal(0, Monitor.Watchers);
    }
}
