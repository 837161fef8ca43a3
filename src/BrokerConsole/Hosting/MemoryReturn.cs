using System.Diagnostics;

namespace BrokerConsole.Hosting;

/// <summary>
/// Gives memory back to the system once a large backlog is drained. The garbage collector keeps what a heap grew to
/// while nothing allocates, and an idle broker allocates little: after 100,000 × 1 KiB messages went through, the
/// host stayed at 2.2× its idle resident memory with 13 MiB of live objects. So when the brokers' message memory
/// has fallen to a quarter of a peak of at least <see cref="MinimumPeak"/>, the stores' indexes are trimmed and one
/// aggressive, compacting collection decommits the free heap. Work after a drain (compacting a journal of a million
/// messages) grows the heap again with garbage nobody collects while the broker is idle, so for
/// <see cref="AfterDrainWatch"/> after such a return a heap holding more than <see cref="MaximumIdleSlack"/> of free
/// committed memory while little is queued is given back too, at most once a <see cref="MinimumGap"/>. Checked every
/// <see cref="Interval"/>: a steady broker never pays for it.
/// </summary>
public sealed class MemoryReturn(BrokerRegistry registry, ILogger<MemoryReturn> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    /// <summary>Below this peak, nothing worth a full collection was held.</summary>
    public const long MinimumPeak = 32L * 1024 * 1024;

    /// <summary>Committed heap beyond the live one that an idle host gives back.</summary>
    public const long MaximumIdleSlack = 128L * 1024 * 1024;

    public static readonly TimeSpan MinimumGap = TimeSpan.FromSeconds(20);

    public static readonly TimeSpan AfterDrainWatch = TimeSpan.FromMinutes(2);

    private long _lastReturn;
    private long _watchUntil;

    private readonly Lock _lock = new();
    private long _peak;

    /// <summary>Times memory was returned (for tests and diagnostics).</summary>
    public int Returns { get; private set; }

    /// <summary>One check: records the peak, and returns memory when the fall is large enough. True when it did.</summary>
    public bool Check()
    {
        lock (_lock)
        {
            return CheckUnderLock();
        }
    }

    private bool CheckUnderLock()
    {
        var used = registry.All.Sum(b => b.Broker.Memory.Used);
        _peak = Math.Max(_peak, used);
        var drained = _peak >= MinimumPeak && used <= _peak / 4;
        if (!drained && !IdleWithSlack(used))
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
        _lastReturn = Environment.TickCount64;
        if (drained)
        {
            _watchUntil = _lastReturn + (long)AfterDrainWatch.TotalMilliseconds;
        }
        Returns++;
        return true;
    }

    private bool IdleWithSlack(long used)
    {
        var now = Environment.TickCount64;
        if (used >= MinimumPeak || now > _watchUntil || now - _lastReturn < MinimumGap.TotalMilliseconds)
        {
            return false;
        }
        var heap = GC.GetGCMemoryInfo();
        return heap.TotalCommittedBytes - heap.HeapSizeBytes > MaximumIdleSlack;
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
