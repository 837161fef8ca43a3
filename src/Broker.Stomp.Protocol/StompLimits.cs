namespace Broker.Stomp.Protocol;

/// <summary>
/// What one frame may hold. The defaults let every ordinary client through (several-MiB bodies, long
/// selectors) while capping what a hostile one can make us buffer.
/// </summary>
public sealed record StompLimits
{
    public static StompLimits Default { get; } = new();

    /// <summary>The command line plus every header line, in bytes, before the body starts.</summary>
    public int MaxHeaderBlockBytes { get; init; } = 256 * 1024;

    /// <summary>One header line (name, colon and value) in bytes.</summary>
    public int MaxHeaderLineBytes { get; init; } = 64 * 1024;

    public int MaxHeaders { get; init; } = 1000;

    /// <summary>The body, in bytes (ActiveMQ's default frame limit is 100 MiB; we are stricter).</summary>
    public int MaxBodyBytes { get; init; } = 64 * 1024 * 1024;
}
