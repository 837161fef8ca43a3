using System.Runtime.CompilerServices;
using System.Threading.Channels;
using BrokerConsole.Api;

namespace BrokerConsole.Monitoring;

public sealed partial class MonitorSource
{
    private readonly Lock _lock = new();
    private readonly List<Channel<IReadOnlyList<BrokerView>>> _brokerWatchers = [];
    private IReadOnlyList<BrokerView>? _last;

    public async IAsyncEnumerable<IReadOnlyList<BrokerView>> WatchBrokers([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Only the newest snapshot matters, so a watcher holds at most one: a slow one skips stale ones.
        var channel = Channel.CreateBounded<IReadOnlyList<BrokerView>>(new BoundedChannelOptions(1)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });
        // Registered before the snapshot is taken, so a change right after it still reaches this watcher.
        lock (_lock)
        {
            _brokerWatchers.Add(channel);
        }
        try
        {
            var snapshot = SnapshotWithTraffic();
            lock (_lock)
            {
                // The first watcher's snapshot is the baseline the timer compares with.
                _last ??= snapshot;
            }
            yield return snapshot;
            while (await WaitToReadAsync(channel.Reader, cancellationToken))
            {
                while (channel.Reader.TryRead(out var next))
                {
                    yield return next;
                }
            }
        }
        finally
        {
            lock (_lock)
            {
                _brokerWatchers.Remove(channel);
                if (_brokerWatchers.Count == 0)
                {
                    // Nobody watches: stop taking snapshots, and forget the last one so the next watcher starts fresh.
                    _last = null;
                }
            }
        }
    }

    /// <summary>A fresh snapshot for the broker watchers, only when there are any and something changed.</summary>
    private void PollBrokers()
    {
        lock (_lock)
        {
            if (_brokerWatchers.Count == 0)
            {
                return;
            }
        }
        var snapshot = SnapshotWithTraffic();
        lock (_lock)
        {
            if (_last is not null && SameState(_last, snapshot))
            {
                return;
            }
            _last = snapshot;
            foreach (var watcher in _brokerWatchers)
            {
                watcher.Writer.TryWrite(snapshot);
            }
        }
    }

    /// <summary>
    /// The brokers with their traffic at the last history sample: the rates a watching console shows for a host's
    /// brokers come with them on <c>StreamBrokers</c> (a new field; an older console ignores it).
    /// </summary>
    private IReadOnlyList<BrokerView> SnapshotWithTraffic() =>
        [.. _snapshot().Select(b => b.Traffic is null ? b with { Traffic = BrokerTraffic.Of(BrokerHistory(b.Name)) } : b)];

    /// <summary>Equal but for the uptime, which moves every second without anything having happened.</summary>
    internal static bool SameState(IReadOnlyList<BrokerView> a, IReadOnlyList<BrokerView> b)
    {
        if (a.Count != b.Count)
        {
            return false;
        }
        for (var i = 0; i < a.Count; i++)
        {
            // Records compare lists by reference, so the connectors are compared on their own.
            if (a[i] with { UptimeSeconds = 0, Connectors = [] } != b[i] with { UptimeSeconds = 0, Connectors = [] }
                || !a[i].Connectors.SequenceEqual(b[i].Connectors))
            {
                return false;
            }
        }
        return true;
    }

    private static async ValueTask<bool> WaitToReadAsync<T>(ChannelReader<T> reader, CancellationToken cancellationToken)
    {
        try
        {
            return await reader.WaitToReadAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
