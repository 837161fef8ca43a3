namespace Broker.Replication;

/// <summary>
/// Running byte totals by sequence, for the replication lag in bytes: (last sequence of a record, bytes
/// appended up to and including it). Bounded: past the limit the oldest entries go, so a long unprotected
/// stretch reports at least the recent bytes. Callers hold the master's lock.
/// </summary>
internal sealed class RecordSizes(int limit = 1 << 20)
{
    private readonly Queue<(long Sequence, long TotalBytes)> _totals = new();
    private long _forgottenBytes;

    public void Add(long lastSequence, long totalBytes)
    {
        _totals.Enqueue((lastSequence, totalBytes));
        if (_totals.Count > limit)
        {
            _forgottenBytes = _totals.Dequeue().TotalBytes;
        }
    }

    /// <summary>Drops entries the slave confirmed; their bytes are no longer lag.</summary>
    public void Forget(long ackedSequence)
    {
        while (_totals.TryPeek(out var oldest) && oldest.Sequence <= ackedSequence)
        {
            _forgottenBytes = _totals.Dequeue().TotalBytes;
        }
    }

    public void Clear()
    {
        _totals.Clear();
        _forgottenBytes = 0;
    }

    /// <summary>Bytes appended up to the last confirmed record (or the oldest one forgotten for the bound).</summary>
    public long ConfirmedBytes => _forgottenBytes;
}
