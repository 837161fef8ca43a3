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

    /// <summary>A top of scale a little above the largest value, never 0 (a flat line at the bottom then).</summary>
    public static double Max(IEnumerable<double> values) => Math.Max(1, values.DefaultIfEmpty(0).Max() * 1.1);
}
