using System.Diagnostics;

namespace BrokerConsole.Monitoring;

public sealed partial class MonitorSource
{
    /// <summary>Samples kept per series: with the default interval, the last three minutes.</summary>
    public const int HistoryLength = 90;

    private readonly Lock _historyLock = new();
    private readonly Dictionary<string, BrokerSeries> _history = [];
    private long _lastSampleTimestamp = Stopwatch.GetTimestamp();

    public IReadOnlyList<RateSample> BrokerHistory(string broker)
    {
        lock (_historyLock)
        {
            return _history.TryGetValue(broker, out var history) ? history.Totals.ToArray() : [];
        }
    }

    public IReadOnlyList<RateSample> DestinationHistory(string broker, string kind, string name)
    {
        lock (_historyLock)
        {
            return _history.TryGetValue(broker, out var history) && history.Destinations.TryGetValue((kind, name), out var destination)
                ? destination.Ring.ToArray()
                : [];
        }
    }

    private bool SampleDue() => Stopwatch.GetElapsedTime(_lastSampleTimestamp) >= _historyInterval;

    /// <summary>
    /// One history sample per broker and destination: rates from the counters' growth since the previous sample.
    /// Rings of destinations that went away are dropped, so the history never outgrows the destinations.
    /// </summary>
    private void Sample(IReadOnlyList<BrokerDestinations> all)
    {
        var seconds = Stopwatch.GetElapsedTime(_lastSampleTimestamp).TotalSeconds;
        _lastSampleTimestamp = Stopwatch.GetTimestamp();
        lock (_historyLock)
        {
            foreach (var gone in _history.Keys.Except(all.Select(b => b.Broker)).ToList())
            {
                _history.Remove(gone);
            }
            foreach (var broker in all)
            {
                if (!_history.TryGetValue(broker.Broker, out var history))
                {
                    _history[broker.Broker] = history = new BrokerSeries();
                }
                history.Sample(broker, seconds);
            }
        }
    }

    /// <summary>The rates last sampled for each destination of <paramref name="broker"/>, for its rows.</summary>
    private IReadOnlyList<DestinationRow> Rows(BrokerDestinations broker)
    {
        lock (_historyLock)
        {
            _history.TryGetValue(broker.Broker, out var history);
            var rows = new DestinationRow[broker.Destinations.Count];
            for (var i = 0; i < rows.Length; i++)
            {
                var d = broker.Destinations[i];
                var rates = history?.Destinations.GetValueOrDefault((DestinationRow.KindName(d.Kind), d.Name))?.Last ?? default;
                rows[i] = DestinationRow.From(d, rates.EnqueueRate, rates.DequeueRate);
            }
            return rows;
        }
    }

    private sealed class BrokerSeries
    {
        public RateRing Totals { get; } = new(HistoryLength);

        public Dictionary<(string Kind, string Name), DestinationSeries> Destinations { get; } = [];

        public void Sample(BrokerDestinations broker, double seconds)
        {
            var seen = new HashSet<(string, string)>(broker.Destinations.Count);
            float totalIn = 0, totalOut = 0;
            long totalPending = 0;
            foreach (var d in broker.Destinations)
            {
                var key = (DestinationRow.KindName(d.Kind), d.Name);
                seen.Add(key);
                if (!Destinations.TryGetValue(key, out var history))
                {
                    // First seen: its counters so far are the baseline, or a recovered queue would show its whole past as one spike.
                    Destinations[key] = history = new DestinationSeries(d.Enqueued, d.Dequeued);
                }
                var sample = history.Sample(d.Enqueued, d.Dequeued, d.Pending, seconds);
                totalIn += sample.EnqueueRate;
                totalOut += sample.DequeueRate;
                totalPending += d.Pending;
            }
            if (seen.Count < Destinations.Count)
            {
                foreach (var gone in Destinations.Keys.Where(k => !seen.Contains(k)).ToList())
                {
                    Destinations.Remove(gone);
                }
            }
            Totals.Add(new RateSample(totalIn, totalOut, totalPending));
        }
    }

    private sealed class DestinationSeries(long enqueued, long dequeued)
    {
        private long _enqueued = enqueued;
        private long _dequeued = dequeued;

        public RateRing Ring { get; } = new(HistoryLength);

        public RateSample Last { get; private set; }

        public RateSample Sample(long enqueued, long dequeued, long pending, double seconds)
        {
            // Counters restart from zero when a broker restarts; a negative growth is no rate.
            var rateIn = seconds > 0 ? (float)(Math.Max(0, enqueued - _enqueued) / seconds) : 0;
            var rateOut = seconds > 0 ? (float)(Math.Max(0, dequeued - _dequeued) / seconds) : 0;
            (_enqueued, _dequeued) = (enqueued, dequeued);
            Last = new RateSample(rateIn, rateOut, pending);
            Ring.Add(Last);
            return Last;
        }
    }
}
