using System.Globalization;
using System.Text;

namespace BrokerConsole.Components.Controls;

/// <summary>The geometry of the hand-drawn charts: a series as the <c>points</c> of an SVG polyline.</summary>
internal static class ChartPath
{
    /// <summary>
    /// Points spread over <paramref name="width"/>, 0 at the bottom of <paramref name="height"/> and
    /// <paramref name="max"/> at the top; invariant numbers, since SVG wants dots whatever the culture.
    /// </summary>
    public static string Points(IReadOnlyList<double> values, double width, double height, double max)
    {
        if (values.Count == 0)
        {
            return "";
        }
        var text = new StringBuilder();
        var step = values.Count > 1 ? width / (values.Count - 1) : 0;
        for (var i = 0; i < values.Count; i++)
        {
            var y = max > 0 ? height - values[i] / max * height : height;
            text.Append(CultureInfo.InvariantCulture, $"{i * step:0.#},{y:0.#} ");
        }
        return text.ToString(0, text.Length - 1);
    }

    /// <summary>
    /// Points of samples taken every <paramref name="interval"/>, the last one now: each at its age on
    /// <paramref name="time"/> and its value on <paramref name="scale"/>, inside <paramref name="area"/>.
    /// </summary>
    public static string Points(IReadOnlyList<double> values, TimeSpan interval, TimeAxis time, ChartScale scale, ChartArea area)
    {
        var text = new StringBuilder();
        for (var i = 0; i < values.Count; i++)
        {
            var ago = interval * (values.Count - 1 - i);
            text.Append(CultureInfo.InvariantCulture, $"{area.X(time.Fraction(ago)):0.#},{area.Y(scale.Fraction(values[i])):0.#} ");
        }
        return text.ToString().TrimEnd();
    }

    /// <summary>A top of scale a little above the largest value, never 0 (a flat line at the bottom then).</summary>
    public static double Max(IEnumerable<double> values) => Math.Max(1, values.DefaultIfEmpty(0).Max() * 1.1);
}

/// <summary>The plot's rectangle in SVG units (y grows downwards), and where fractions of its axes fall.</summary>
internal readonly record struct ChartArea(double Left, double Top, double Width, double Height)
{
    public double Right => Left + Width;

    public double Bottom => Top + Height;

    /// <summary>0 at the left edge, 1 at the right.</summary>
    public double X(double fraction) => Left + fraction * Width;

    /// <summary>0 at the bottom, 1 at the top.</summary>
    public double Y(double fraction) => Bottom - fraction * Height;
}
