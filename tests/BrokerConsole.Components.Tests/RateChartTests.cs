using BrokerConsole.Components.Controls;
using BrokerConsole.Monitoring;

namespace BrokerConsole.Components.Tests;

public sealed class RateChartTests : ConsoleContext
{
    private IRenderedComponent<RateChart> RenderChart(params RateSample[] samples) =>
        Render<RateChart>(p => p.Add(c => c.Samples, samples).Add(c => c.Title, "b1"));

    private static string[] Texts(IRenderedComponent<RateChart> cut, string testId) =>
        [.. cut.FindAll($"[data-testid={testId}]").Select(e => e.TextContent.Trim())];

    [Fact]
    public void RateChart_Traffic_AxesWithRoundTicksUnitsAndTimeLabels()
    {
        var cut = RenderChart(new RateSample(10, 5, 3), new RateSample(73, 40, 120), new RateSample(50, 60, 90));

        Assert.Equal(["0", "20", "40", "60", "80"], Texts(cut, "rate-tick"));
        Assert.Equal(["0", "50", "100", "150"], Texts(cut, "depth-tick"));
        Assert.Equal(["-3 min", "-2 min", "-1 min", "now"], Texts(cut, "time-tick"));
        Assert.Equal("msg/s", cut.Find("[data-testid=rate-unit]").TextContent);
        Assert.Equal("depth", cut.Find("[data-testid=depth-unit]").TextContent);
        Assert.Equal(9, cut.FindAll("line.grid").Count);
        Assert.Equal(3, cut.FindAll("polyline").Count);
        Assert.Empty(cut.FindAll("[data-testid=chart-no-traffic]"));
        var legend = cut.Find("[data-testid=chart-legend]").TextContent;
        Assert.Contains("in 50 msg/s", legend, StringComparison.Ordinal);
        Assert.Contains("out 60 msg/s", legend, StringComparison.Ordinal);
        Assert.Contains("depth 90", legend, StringComparison.Ordinal);
    }

    [Fact]
    public void RateChart_NewestSample_DrawnAtNowOnTheRight()
    {
        var cut = RenderChart(new RateSample(80, 0, 0), new RateSample(40, 0, 0));

        // Plot from x 40 to 440 and y 18 to 142; the newest point (40 of a 0..80 scale) sits halfway up at "now".
        var points = cut.Find("polyline.in").GetAttribute("points")!.Split(' ');
        Assert.Equal("440,80", points[^1]);
        Assert.Equal("435.6,18", points[0]);
    }

    [Fact]
    public void RateChart_AllSamplesZero_NoTrafficTextForTheSampledTime()
    {
        var cut = RenderChart([.. Enumerable.Repeat(new RateSample(0, 0, 0), MonitorSource.HistoryLength)]);

        Assert.Equal("no traffic in the last 3 minutes", cut.Find("[data-testid=chart-no-traffic]").TextContent.Trim());
        Assert.Empty(cut.FindAll("svg"));
    }

    [Fact]
    public void RateChart_YoungHistoryAllZero_SaysHowLongItReallyCovers() =>
        Assert.Equal("no traffic in the last 40 seconds",
            RenderChart([.. Enumerable.Repeat(new RateSample(0, 0, 0), 20)]).Find("[data-testid=chart-no-traffic]").TextContent.Trim());

    [Fact]
    public void RateChart_NoSamples_SaysNothingSampledYet() =>
        Assert.Equal("no traffic sampled yet", RenderChart().Find("[data-testid=chart-no-traffic]").TextContent.Trim());

    [Fact]
    public void RateChart_DepthWithoutRates_StillDrawn()
    {
        var cut = RenderChart(new RateSample(0, 0, 500), new RateSample(0, 0, 500));

        Assert.Empty(cut.FindAll("[data-testid=chart-no-traffic]"));
        Assert.Equal(["0", "200", "400", "600"], Texts(cut, "depth-tick"));
    }
}
