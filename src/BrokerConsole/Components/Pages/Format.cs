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
}
