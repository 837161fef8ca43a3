namespace BrokerConsole.Remote;

/// <summary>
/// How long a watcher waits before its next connect: doubling from <see cref="Min"/> up to <see cref="Max"/>, each
/// delay spread by ±25 % (never outside the bounds) so consoles that lost a host together do not knock on it together.
/// </summary>
public sealed class ReconnectBackoff(TimeSpan min, TimeSpan max, Func<double>? random = null)
{
    public static readonly ReconnectBackoff Default = new(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(10));

    private readonly Func<double> _random = random ?? Random.Shared.NextDouble;

    public TimeSpan Min { get; } = min;

    public TimeSpan Max { get; } = max;

    /// <summary>The delay before attempt <paramref name="failures"/> + 1, after that many failures in a row (0: the first retry).</summary>
    public TimeSpan Delay(int failures)
    {
        // 2^20 * 0.5 s is far above any sensible cap; stop doubling before the ticks overflow.
        var doubled = Min.Ticks * Math.Pow(2, Math.Min(failures, 20));
        var spread = Math.Min(doubled, Max.Ticks) * (0.75 + (_random() * 0.5));
        return TimeSpan.FromTicks((long)Math.Clamp(spread, Min.Ticks, Max.Ticks));
    }
}
