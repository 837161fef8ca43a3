using BrokerConsole.Api;
using BrokerConsole.Hosting;
using Broker.Core.Events;

namespace BrokerConsole.Monitoring;

/// <summary>
/// Polls the registry in one shared timer while anyone watches (never a timer per watcher) and fans the
/// snapshots out to one channel per watcher; relays the event log in coalesced batches.
/// </summary>
public sealed partial class MonitorSource : IMonitorSource, IDisposable
{
    public static readonly TimeSpan DefaultPollInterval = TimeSpan.FromMilliseconds(500);
    public static readonly TimeSpan DefaultEventBatchInterval = TimeSpan.FromMilliseconds(100);

    private readonly Func<IReadOnlyList<BrokerView>> _snapshot;
    private readonly EventLog _events;
    private readonly TimeSpan _pollInterval;
    private readonly TimeSpan _eventBatchInterval;

    public MonitorSource(BrokerRegistry registry)
        : this(() => [.. registry.All.Select(BrokerView.From)], registry.Events, DefaultPollInterval, DefaultEventBatchInterval)
    {
    }

    internal MonitorSource(Func<IReadOnlyList<BrokerView>> snapshot, EventLog events, TimeSpan pollInterval, TimeSpan eventBatchInterval)
    {
        _snapshot = snapshot;
        _events = events;
        _pollInterval = pollInterval;
        _eventBatchInterval = eventBatchInterval;
        _timer = new Timer(_ => Poll());
    }

    public void Dispose()
    {
        _timer.Dispose();
        lock (_lock)
        {
            foreach (var watcher in _brokerWatchers)
            {
                watcher.Writer.TryComplete();
            }
            _brokerWatchers.Clear();
        }
    }
}
