namespace BrokerConsole.Diagnostics;

/// <summary>
/// One render answers every scrape for <c>cacheFor</c>: a storm of scrapers costs one render, and scrapers arriving
/// during a render wait for it instead of starting their own.
/// </summary>
public sealed class ScrapeCache(TimeSpan cacheFor, TimeProvider clock, Func<byte[]> render)
{
    private readonly Lock _lock = new();
    private byte[]? _latest;
    private DateTimeOffset _renderedAt;
    private long _renders;

    /// <summary>How many times the text was rendered (not served): what tests read to prove the cache works.</summary>
    public long Renders => Interlocked.Read(ref _renders);

    public byte[] Get()
    {
        lock (_lock)
        {
            if (_latest is null || clock.GetUtcNow() - _renderedAt >= cacheFor)
            {
                _latest = render();
                // Counted from the end of the render: one slower than cacheFor must not make every waiter render again.
                _renderedAt = clock.GetUtcNow();
                Interlocked.Increment(ref _renders);
            }
            return _latest;
        }
    }
}
