namespace Broker.Storage;

/// <summary>How a broker's journal is laid out and how strict its recovery is.</summary>
public sealed record JournalOptions
{
    /// <summary>Segment files are preallocated to this size, so appends never grow a file (and fdatasync stays cheap).</summary>
    public long SegmentSize { get; init; } = 64L * 1024 * 1024;

    /// <summary>
    /// Bytes kept free at the end of every segment for removals, so acks still work on a full disk: an eighth
    /// of the segment, at most 1 MiB (a small segment must still hold messages).
    /// </summary>
    public long RemovalReserve
    {
        get => _removalReserve ?? Math.Min(1024 * 1024, SegmentSize / 8);
        init => _removalReserve = value;
    }

    private readonly long? _removalReserve;

    /// <summary>Total journal bytes allowed; 0 = no limit. Past it a persistent SEND is refused.</summary>
    public long StoreLimit { get; init; }

    /// <summary>Skip (count and log) damaged records found before the tail instead of refusing to start.</summary>
    public bool SkipDamagedRecords { get; init; }

    /// <summary>
    /// Longest a record that rides the next commit (an acknowledgement, a delivery mark) waits for one before the
    /// journal flushes it anyway. Under load the next persistent SEND's flush takes it far sooner; alone (a
    /// consumer draining a queue) acknowledgements are flushed in batches this far apart, and a crash can
    /// redeliver what was acknowledged within it.
    /// </summary>
    public TimeSpan AckFlushDelay { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Compact when sealed segments hold more than this share of dead bytes.</summary>
    public double CompactionGarbageRatio { get; init; } = 0.5;

    /// <summary>Compact only once at least this many sealed segments exist.</summary>
    public int CompactionMinSegments { get; init; } = 2;
}
