using BrokerConsole.Api;
using BrokerConsole.Hosting;
using Broker.Core.Events;

namespace BrokerConsole.Monitoring;

/// <summary>
/// One shared timer (never a timer per watcher) samples the brokers: it keeps the rate and depth history, and
/// while anyone watches it diffs snapshots and fans them out to one bounded channel per watcher; the event log
/// is relayed in coalesced batches. A hosted service, so the history starts with the host, not with the first page.
/// </summary>
public sealed partial class MonitorSource : IMonitorSource, IHostedService, IDisposable
{
    public static readonly TimeSpan DefaultPollInterval = TimeSpan.FromMilliseconds(500);
    public static readonly TimeSpan DefaultEventBatchInterval = TimeSpan.FromMilliseconds(100);
    public static readonly TimeSpan DefaultHistoryInterval = TimeSpan.FromSeconds(2);

    private readonly Func<IReadOnlyList<BrokerView>> _snapshot;
    private readonly Func<IReadOnlyList<BrokerDestinations>> _destinations;
    private readonly Func<IReadOnlyList<string>> _brokerNames;
    private readonly EventLog _events;
    private readonly TimeSpan _pollInterval;
    private readonly TimeSpan _eventBatchInterval;
    private readonly TimeSpan _historyInterval;
    private readonly Timer _timer;
    private int _polling;

    public MonitorSource(BrokerRegistry registry)
        : this(() => [.. registry.All.Select(BrokerView.From)],
            () => [.. registry.All.Select(b => new BrokerDestinations(b.Name, b.Broker.GetDestinations()))],
            registry.Events, DefaultPollInterval, DefaultEventBatchInterval, DefaultHistoryInterval)
    {
        _brokerNames = () => [.. registry.All.Select(b => b.Name)];
    }

    internal MonitorSource(Func<IReadOnlyList<BrokerView>> snapshot, EventLog events, TimeSpan pollInterval, TimeSpan eventBatchInterval)
        : this(snapshot, () => [], events, pollInterval, eventBatchInterval, DefaultHistoryInterval)
    {
    }

    internal MonitorSource(Func<IReadOnlyList<BrokerView>> snapshot, Func<IReadOnlyList<BrokerDestinations>> destinations, EventLog events,
        TimeSpan pollInterval, TimeSpan eventBatchInterval, TimeSpan historyInterval)
    {
        _snapshot = snapshot;
        _destinations = destinations;
        _brokerNames = () => [.. destinations().Select(b => b.Broker)];
        _events = events;
        _pollInterval = pollInterval;
        _eventBatchInterval = eventBatchInterval;
        _historyInterval = historyInterval;
        _timer = new Timer(_ => Poll(), null, _pollInterval, _pollInterval);
    }

    public IReadOnlyList<string> BrokerNames() => _brokerNames();

    Task IHostedService.StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    Task IHostedService.StopAsync(CancellationToken cancellationToken)
    {
        _timer.Change(Timeout.Infinite, Timeout.Infinite);
        return Task.CompletedTask;
    }

    private void Poll()
    {
        // Timer callbacks can overlap when a poll is slow; one at a time is enough.
        if (Interlocked.Exchange(ref _polling, 1) == 1)
        {
            return;
        }
        try
        {
            PollBrokers();
            var sample = SampleDue();
            var publish = HasDestinationWatchers();
            if (sample || publish)
            {
                // One read of every destination serves both the history and the watchers.
                var all = _destinations();
                if (sample)
                {
                    Sample(all);
                }
                if (publish)
                {
                    PublishDestinations(all);
                }
            }
        }
        finally
        {
            Volatile.Write(ref _polling, 0);
        }
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
            foreach (var watcher in _destinationWatchers)
            {
                watcher.Signal.Writer.TryComplete();
            }
            _destinationWatchers.Clear();
        }
    }
}
