using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace BrokerConsole.Monitoring;

public sealed partial class MonitorSource
{
    private readonly List<DestinationWatcher> _destinationWatchers = [];

    /// <summary>Per watched broker, the rows last sent: what each poll diffs against (only while someone watches it).</summary>
    private readonly Dictionary<string, Dictionary<(string Kind, string Name), DestinationRow>> _sentRows = [];

    public async IAsyncEnumerable<DestinationChanges> WatchDestinations(string broker, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var watcher = new DestinationWatcher(broker);
        // Registered before the snapshot is taken, so a change right after it still reaches this watcher.
        lock (_lock)
        {
            _destinationWatchers.Add(watcher);
        }
        try
        {
            yield return new DestinationChanges(true, Snapshot(broker), []);
            while (await WaitToReadAsync(watcher.Signal.Reader, cancellationToken))
            {
                watcher.Signal.Reader.TryRead(out _);
                if (watcher.TakeChanges() is { } changes)
                {
                    yield return changes;
                }
            }
        }
        finally
        {
            lock (_lock)
            {
                _destinationWatchers.Remove(watcher);
                if (!_destinationWatchers.Any(w => w.Broker == broker))
                {
                    _sentRows.Remove(broker);
                }
            }
        }
    }

    /// <summary>The rows the next diff starts from, so the snapshot and the changes after it fit together.</summary>
    private IReadOnlyList<DestinationRow> Snapshot(string broker)
    {
        lock (_lock)
        {
            if (_sentRows.TryGetValue(broker, out var sent))
            {
                return [.. sent.Values];
            }
        }
        var rows = _destinations().FirstOrDefault(b => b.Broker == broker) is { } found ? Rows(found) : [];
        lock (_lock)
        {
            _sentRows.TryAdd(broker, rows.ToDictionary(r => r.Key));
        }
        return rows;
    }

    private bool HasDestinationWatchers()
    {
        lock (_lock)
        {
            return _destinationWatchers.Count > 0;
        }
    }

    /// <summary>Diffs each watched broker's rows against those last sent and hands the differences to its watchers.</summary>
    private void PublishDestinations(IReadOnlyList<BrokerDestinations> all)
    {
        foreach (var broker in all)
        {
            lock (_lock)
            {
                if (!_sentRows.ContainsKey(broker.Broker))
                {
                    continue;
                }
            }
            // Built outside the lock: O(destinations), and watchers subscribing meanwhile need not wait for it.
            var rows = Rows(broker);
            lock (_lock)
            {
                if (!_sentRows.TryGetValue(broker.Broker, out var sent))
                {
                    continue;
                }
                var updated = new List<DestinationRow>();
                var current = new HashSet<(string, string)>(rows.Count);
                foreach (var row in rows)
                {
                    current.Add(row.Key);
                    if (!sent.TryGetValue(row.Key, out var before) || before != row)
                    {
                        sent[row.Key] = row;
                        updated.Add(row);
                    }
                }
                var removed = sent.Count > current.Count ? sent.Values.Where(r => !current.Contains(r.Key)).ToList() : [];
                foreach (var row in removed)
                {
                    sent.Remove(row.Key);
                }
                if (updated.Count == 0 && removed.Count == 0)
                {
                    continue;
                }
                foreach (var watcher in _destinationWatchers.Where(w => w.Broker == broker.Broker))
                {
                    watcher.Add(updated, removed);
                }
            }
        }
    }

    /// <summary>
    /// One watcher's changes not yet read, keyed by destination: a reader that falls behind gets each row once,
    /// in its newest state, so its backlog is bounded by the number of destinations and the poll never waits.
    /// </summary>
    private sealed class DestinationWatcher(string broker)
    {
        private readonly Dictionary<(string Kind, string Name), (DestinationRow Row, bool Removed)> _pending = [];

        public string Broker { get; } = broker;

        public Channel<bool> Signal { get; } = Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
        {
            FullMode = BoundedChannelFullMode.DropWrite,
            SingleReader = true,
        });

        public void Add(IReadOnlyList<DestinationRow> updated, IReadOnlyList<DestinationRow> removed)
        {
            lock (_pending)
            {
                foreach (var row in updated)
                {
                    _pending[row.Key] = (row, false);
                }
                foreach (var row in removed)
                {
                    _pending[row.Key] = (row, true);
                }
            }
            Signal.Writer.TryWrite(true);
        }

        public DestinationChanges? TakeChanges()
        {
            lock (_pending)
            {
                if (_pending.Count == 0)
                {
                    return null;
                }
                var changes = new DestinationChanges(false,
                    [.. _pending.Values.Where(p => !p.Removed).Select(p => p.Row)],
                    [.. _pending.Values.Where(p => p.Removed).Select(p => p.Row)]);
                _pending.Clear();
                return changes;
            }
        }
    }
}
