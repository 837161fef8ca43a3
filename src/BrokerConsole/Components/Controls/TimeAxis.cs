using System.Globalization;

namespace BrokerConsole.Components.Controls;

/// <summary>
/// A chart's time axis: <see cref="Window"/> back from now, ticks every <see cref="Step"/> (a round 5 s ... 1 h),
/// labelled as time ago (<c>-3 min</c> ... <c>now</c>).
/// </summary>
public sealed record TimeAxis(TimeSpan Window, TimeSpan Step)
{
    private static readonly TimeSpan[] Steps =
        [.. new[] { 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600 }.Select(s => TimeSpan.FromSeconds(s))];

    /// <summary>The smallest round step that cuts <paramref name="window"/> into at most <paramref name="intervals"/> parts.</summary>
    public static TimeAxis For(TimeSpan window, int intervals = 4)
    {
        if (window <= TimeSpan.Zero)
        {
            window = Steps[0];
        }
        var step = Steps.FirstOrDefault(s => window / s <= intervals, Steps[^1]);
        return new TimeAxis(window, step);
    }

    /// <summary>The ticks as time ago, oldest first: the whole steps within the window, ending with 0 (now).</summary>
    public IReadOnlyList<TimeSpan> Ticks
    {
        get
        {
            var count = (int)Math.Floor(Window / Step + 1e-9);
            return [.. Enumerable.Range(0, count + 1).Select(i => Step * (count - i))];
        }
    }

    /// <summary>Where a moment <paramref name="ago"/> sits from the left: 0 at the window's start, 1 now.</summary>
    public double Fraction(TimeSpan ago) => Math.Clamp(1 - ago / Window, 0, 1);

    /// <summary><c>now</c>, <c>-30 s</c>, <c>-2 min</c>, <c>-1.5 min</c>.</summary>
    public static string Label(TimeSpan ago) => ago switch
    {
        { TotalSeconds: < 0.5 } => "now",
        { TotalSeconds: < 60 } => $"-{ago.TotalSeconds:0} s",
        _ => string.Create(CultureInfo.InvariantCulture, $"-{ago.TotalMinutes:0.#} min"),
    };

    /// <summary>A span in words for a sentence: <c>3 minutes</c>, <c>1 minute</c>, <c>40 seconds</c>, <c>90 seconds</c>.</summary>
    public static string Describe(TimeSpan span)
    {
        var seconds = (long)Math.Round(span.TotalSeconds);
        return seconds % 60 == 0 && seconds > 0
            ? (seconds == 60 ? "1 minute" : $"{seconds / 60} minutes")
            : (seconds == 1 ? "1 second" : $"{seconds} seconds");
    }
}
