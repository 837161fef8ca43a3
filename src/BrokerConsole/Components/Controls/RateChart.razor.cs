using System.Globalization;
using BrokerConsole.Monitoring;
using Microsoft.AspNetCore.Components;

namespace BrokerConsole.Components.Controls;

/// <summary>
/// A line chart drawn as SVG here rather than with a chart library: it renders on the server with the rest of the
/// page (no JavaScript interop), bUnit can read its axes and labels, and there is no package to keep current.
/// The scale maths lives in <see cref="ChartScale"/> and <see cref="TimeAxis"/>.
/// </summary>
public sealed partial class RateChart
{
    private double[] _in = [];
    private double[] _out = [];
    private double[] _depth = [];
    private ChartScale _rateScale = ChartScale.For(0);
    private ChartScale _depthScale = ChartScale.For(0);
    private TimeAxis _time = TimeAxis.For(TimeSpan.Zero);

    [Parameter, EditorRequired]
    public IReadOnlyList<RateSample> Samples { get; set; } = [];

    [Parameter]
    public string Title { get; set; } = "";

    [Parameter]
    public string TestId { get; set; } = "rate-chart";

    [Parameter]
    public int Width { get; set; } = 480;

    [Parameter]
    public int Height { get; set; } = 160;

    /// <summary>The time between two samples: the monitor's history interval unless told otherwise.</summary>
    [Parameter]
    public TimeSpan Interval { get; set; } = MonitorSource.DefaultHistoryInterval;

    /// <summary>How many samples the window holds: the x axis always spans all of it, so the chart does not stretch while the history fills.</summary>
    [Parameter]
    public int Capacity { get; set; } = MonitorSource.HistoryLength;

    /// <summary>The plot inside the margins that hold the labels: units above, msg/s ticks left, depth right, time below.</summary>
    private ChartArea Area => new(Left: 40, Top: 18, Width: Width - 80, Height: Height - 36);

    /// <summary>Anything to draw: at least one sample with a rate or a depth above zero.</summary>
    private bool HasTraffic => _in.Any(v => v > 0) || _out.Any(v => v > 0) || _depth.Any(v => v > 0);

    /// <summary>Said of the time the samples really cover, not of the whole window: a fresh history is only seconds long.</summary>
    private string NoTrafficText => Samples.Count == 0
        ? "no traffic sampled yet"
        : $"no traffic in the last {TimeAxis.Describe(Interval * Samples.Count)}";

    private string Summary =>
        $"{Title}: in {Last(_in):0.#} msg/s, out {Last(_out):0.#} msg/s, depth {Last(_depth):0}; the last {TimeAxis.Describe(_time.Window)}";

    private static double Last(double[] values) => values.Length > 0 ? values[^1] : 0;

    private static string N(double value) => value.ToString("0.#", CultureInfo.InvariantCulture);

    protected override void OnParametersSet()
    {
        _in = [.. Samples.Select(s => (double)s.EnqueueRate)];
        _out = [.. Samples.Select(s => (double)s.DequeueRate)];
        _depth = [.. Samples.Select(s => (double)s.Pending)];
        _rateScale = ChartScale.For(Math.Max(_in.DefaultIfEmpty(0).Max(), _out.DefaultIfEmpty(0).Max()));
        _depthScale = ChartScale.For(_depth.DefaultIfEmpty(0).Max());
        _time = TimeAxis.For(Interval * Math.Max(Capacity, Samples.Count));
    }
}
