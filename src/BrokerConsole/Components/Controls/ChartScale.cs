using System.Globalization;

namespace BrokerConsole.Components.Controls;

/// <summary>
/// A value axis from 0 to <see cref="Top"/> in steps of <see cref="Step"/>: 1, 2, 2.5 or 5 times a power of ten, so the
/// ticks read 0, 20, 40, 60 and never 0, 17.3, 34.6. Plain maths, no markup: tested on its own.
/// </summary>
public sealed record ChartScale(double Top, double Step)
{
    /// <summary>The smallest nice scale holding <paramref name="max"/> with at most <paramref name="intervals"/> steps (a 0..1 scale for nothing).</summary>
    public static ChartScale For(double max, int intervals = 4)
    {
        if (!(max > 0) || double.IsInfinity(max))
        {
            max = 1;
        }
        var step = NiceStep(max / intervals);
        return new ChartScale(Round(Math.Ceiling(max / step - 1e-9) * step, step), step);
    }

    /// <summary>The ticks from 0 to <see cref="Top"/>, both included.</summary>
    public IReadOnlyList<double> Ticks
    {
        get
        {
            var count = (int)Math.Round(Top / Step);
            return [.. Enumerable.Range(0, count + 1).Select(i => Round(i * Step, Step))];
        }
    }

    /// <summary>Where <paramref name="value"/> sits from the bottom: 0 for 0, 1 for <see cref="Top"/>, clamped to that.</summary>
    public double Fraction(double value) => Math.Clamp(value / Top, 0, 1);

    /// <summary>A tick's label: <c>0.5</c>, <c>20</c>, <c>1.5k</c>, <c>2M</c>; invariant, as the chart is.</summary>
    public static string Label(double value) => value switch
    {
        >= 1_000_000 => (value / 1_000_000).ToString("0.##", CultureInfo.InvariantCulture) + "M",
        >= 1_000 => (value / 1_000).ToString("0.##", CultureInfo.InvariantCulture) + "k",
        _ => value.ToString("0.##", CultureInfo.InvariantCulture),
    };

    /// <summary>The smallest of 1, 2, 2.5, 5 times a power of ten that is at least <paramref name="rough"/>.</summary>
    public static double NiceStep(double rough)
    {
        var power = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        var mantissa = rough / power;
        // A hair of tolerance: 0.3 / 0.1 is 2.9999999999999996, which must not become a step of 5.
        var nice = new[] { 1, 2, 2.5, 5, 10 }.First(n => mantissa <= n + 1e-9);
        return nice * power;
    }

    /// <summary>A multiple of <paramref name="step"/> without the binary fraction's noise (0.30000000000000004 → 0.3).</summary>
    private static double Round(double value, double step) =>
        Math.Round(value, Math.Clamp(1 - (int)Math.Floor(Math.Log10(step)), 0, 15));
}
