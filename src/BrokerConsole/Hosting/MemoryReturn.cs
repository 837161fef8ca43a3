using System.Diagnostics;

namespace BrokerConsole.Hosting;

/// <summary>
/// Gives memory back to the system once a large backlog is drained. The garbage collector keeps what a heap grew to
/// while nothing allocates, and an idle broker allocates little: after 100,000 × 1 KiB messages went through, the
/// host stayed at 2.2× its idle resident memory with 13 MiB of live objects. So when the brokers' message memory
/// has fallen to a quarter of a peak of at least <see cref="MinimumPeak"/>, the stores' indexes are trimmed and one
/// aggressive, compacting collection decommits the free heap. Checked every <see cref="Interval"/>; at most once per
/// fall, so a steady broker never pays for it. (The GiB once left after a million-message drain was not held here: it
/// was the journal's compaction reading every live message into memory; see the README.)
/// </summary>
public sealed class MemoryReturn(BrokerRegistry registry, ILogger<MemoryReturn> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    /// <summary>Below this peak, nothing worth a full collection was held.</summary>
    public const long MinimumPeak = 32L * 1024 * 1024;

    private readonly Lock _lock = new();
    private long _peak;

    /// <summary>Times memory was returned (for tests and diagnostics).</summary>
    public int Returns { get; private set; }

    /// <summary>One check: records the peak, and returns memory when the fall is large enough. True when it did.</summary>
    public bool Check()
    {
        using var _ = _lock.EnterScope();
        var used = registry.All.Sum(b => b.Broker.Memory.Used);
        _peak = Math.Max(_peak, used);
        if (_peak < MinimumPeak || used > _peak / 4)
        {
            return false;
        }
        var clock = Stopwatch.StartNew();
        var before = Environment.WorkingSet;
        foreach (var broker in registry.All)
        {
            broker.Lifecycle.TrimMemory();
        }
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        HostLog.MemoryReturned(logger, _peak >> 20, used >> 20, before >> 20, Environment.WorkingSet >> 20, clock.ElapsedMilliseconds);
        _peak = used;
        Returns++;
        return true;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                Check();
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }
}
