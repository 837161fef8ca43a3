namespace BrokerBench;

/// <summary>Latency samples in Stopwatch ticks; sorted once at the end (exact percentiles, no bucketing).</summary>
public sealed class LatencySamples
{
    private readonly List<long> _samples = new(1 << 16);

    public void Add(long ticks)
    {
        lock (_samples)
        {
            _samples.Add(ticks);
        }
    }

    public void AddRange(List<long> ticks)
    {
        lock (_samples)
        {
            _samples.AddRange(ticks);
        }
    }

    public int Count => _samples.Count;

    public (double P50, double P99, double Max) PercentilesMs()
    {
        if (_samples.Count == 0)
        {
            return (double.NaN, double.NaN, double.NaN);
        }
        var sorted = _samples.ToArray();
        Array.Sort(sorted);
        double Ms(long t) => t * 1000.0 / System.Diagnostics.Stopwatch.Frequency;
        long At(double q) => sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
        return (Ms(At(0.50)), Ms(At(0.99)), Ms(sorted[^1]));
    }
}

/// <summary>
/// Exactly-once bookkeeping: every message carries (run, producer, seq); we count how often each arrived.
/// </summary>
public sealed class Verifier
{
    private readonly object _lock = new();
    private readonly Dictionary<(string Run, int Producer), byte[]> _seen = [];
    private long _unique;
    private long _duplicates;
    private long _received;
    private long _foreign;

    public long Unique => Interlocked.Read(ref _unique);

    public long Received => Interlocked.Read(ref _received);

    public long Duplicates => Interlocked.Read(ref _duplicates);

    public long Foreign => Interlocked.Read(ref _foreign);

    /// <summary>Records one arrival; false for a duplicate.</summary>
    public bool Record(string run, int producer, long seq)
    {
        lock (_lock)
        {
            _received++;
            if (!_seen.TryGetValue((run, producer), out var counts) || counts.Length <= seq)
            {
                var grown = new byte[Math.Max(1024, (int)Math.Max(seq + 1, (counts?.Length ?? 0) * 2L))];
                counts?.CopyTo(grown, 0);
                _seen[(run, producer)] = counts = grown;
            }
            if (counts[seq] != 255)
            {
                counts[seq]++;
            }
            if (counts[seq] == 1)
            {
                _unique++;
                return true;
            }
            _duplicates++;
            return false;
        }
    }

    /// <summary>A message without our headers, or from another run where one was expected.</summary>
    public void RecordForeign() => Interlocked.Increment(ref _foreign);

    /// <summary>Missing messages when the producers of <paramref name="run"/> reported how many each sent.</summary>
    public long Missing(string run, IReadOnlyList<long> sentPerProducer)
    {
        lock (_lock)
        {
            long missing = 0;
            for (int p = 0; p < sentPerProducer.Count; p++)
            {
                _seen.TryGetValue((run, p), out var counts);
                for (long s = 0; s < sentPerProducer[p]; s++)
                {
                    if (counts is null || s >= counts.Length || counts[s] == 0)
                    {
                        missing++;
                    }
                }
            }
            return missing;
        }
    }

    /// <summary>Missing messages when only the total is known: gaps below each producer's highest seq, plus any shortfall.</summary>
    public long MissingOfTotal(long expected)
    {
        lock (_lock)
        {
            long gaps = 0;
            foreach (var counts in _seen.Values)
            {
                int top = Array.FindLastIndex(counts, c => c != 0);
                for (int s = 0; s < top; s++)
                {
                    if (counts[s] == 0)
                    {
                        gaps++;
                    }
                }
            }
            return Math.Max(gaps, expected - _unique);
        }
    }
}
