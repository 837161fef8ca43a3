using BrokerConsole.Api;

namespace BrokerConsole.Components.Pages;

internal static class Format
{
    public static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.#} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):0.#} MiB",
        >= 1L << 10 => $"{bytes / (double)(1L << 10):0.#} KiB",
        _ => $"{bytes} B",
    };

    public static string Usage(UsageView usage) => $"{Bytes(usage.Used)} of {Bytes(usage.Limit)}";

    /// <summary>The use as a share of the limit (<c>42 %</c>), or the bytes used when there is no limit.</summary>
    public static string Percent(UsageView usage) => usage.Limit > 0 ? $"{100.0 * usage.Used / usage.Limit:0} %" : $"{Bytes(usage.Used)}, no limit";

    /// <summary>A rate in messages per second: one decimal below 10, whole above.</summary>
    public static string Rate(double perSecond) => perSecond < 10 ? $"{perSecond:0.#}" : $"{perSecond:N0}";

    /// <summary>The start of a body for a grid cell: text up to 80 characters, or how big a binary body is.</summary>
    public static string Preview(ReadOnlyMemory<byte> body)
    {
        var head = body.Span[..Math.Min(body.Length, 320)];
        if (!QueueOperations.IsText(head))
        {
            return $"({Bytes(body.Length)} binary)";
        }
        var text = System.Text.Encoding.UTF8.GetString(head);
        return text.Length > 80 || head.Length < body.Length ? text[..Math.Min(text.Length, 80)] + "…" : text;
    }

    /// <summary>A moment as the console shows it (UTC, to the second).</summary>
    public static string Time(DateTimeOffset? time) =>
        time is { } t ? t.UtcDateTime.ToString("HH:mm:ss 'UTC'", System.Globalization.CultureInfo.InvariantCulture) : "?";
}
