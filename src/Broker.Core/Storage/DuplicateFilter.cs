namespace Broker.Core.Storage;

/// <summary>
/// Drops a resent message the broker already has: a SEND with <c>producer-id</c> and <c>producer-seq</c> is
/// kept only above that producer's high-water mark. Marks travel in the journal with the messages, so a
/// restart or a failover keeps them. Producers idle longer than the idle limit are forgotten.
/// </summary>
public sealed class DuplicateFilter(TimeSpan idleLimit)
{
    public const string ProducerIdHeader = "producer-id";
    public const string ProducerSequenceHeader = "producer-seq";

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Mark> _marks = new(StringComparer.Ordinal);

    public int Count
    {
        get { lock (_lock) { return _marks.Count; } }
    }

    /// <summary>Records the message when it is new; when it is a duplicate, returns the sequence of the record that had it.</summary>
    public bool TryAccept(string producerId, long producerSequence, long nowMs, out long previousRecord)
    {
        lock (_lock)
        {
            if (_marks.TryGetValue(producerId, out var mark) && producerSequence <= mark.HighWater)
            {
                _marks[producerId] = mark with { LastSeenMs = nowMs };
                previousRecord = mark.RecordSequence;
                return false;
            }
            _marks[producerId] = new Mark(producerSequence, 0, nowMs);
            previousRecord = 0;
            return true;
        }
    }

    /// <summary>Notes which journal record carries a producer's latest message (recovery, and after an append).</summary>
    public void Observe(string producerId, long producerSequence, long recordSequence, long nowMs)
    {
        lock (_lock)
        {
            if (!_marks.TryGetValue(producerId, out var mark) || producerSequence >= mark.HighWater)
            {
                _marks[producerId] = new Mark(producerSequence, recordSequence, nowMs);
            }
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            _marks.Clear();
        }
    }

    public void ForgetIdle(long nowMs)
    {
        lock (_lock)
        {
            foreach (var (id, mark) in _marks.ToList())
            {
                if (nowMs - mark.LastSeenMs > idleLimit.TotalMilliseconds)
                {
                    _marks.Remove(id);
                }
            }
        }
    }

    private readonly record struct Mark(long HighWater, long RecordSequence, long LastSeenMs);
}
