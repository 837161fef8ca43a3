using Broker.Core.Events;
using BrokerConsole.Components.Live;
using BrokerConsole.Monitoring;
using Microsoft.AspNetCore.Components;

namespace BrokerConsole.Components.Pages;

/// <summary>The event timeline, newest first, live from <see cref="IMonitorSource.WatchEvents"/>.</summary>
public sealed partial class Events : LiveComponent<IReadOnlyList<BrokerEvent>>
{
    /// <summary>What the page keeps; the event log itself keeps its own recent window.</summary>
    internal const int MaxShown = 1000;

    private readonly List<BrokerEvent> _newestFirst = [];
    private IQueryable<BrokerEvent> _events = Enumerable.Empty<BrokerEvent>().AsQueryable();

    [Inject]
    private IMonitorSource Monitor { get; set; } = null!;

    protected override IAsyncEnumerable<IReadOnlyList<BrokerEvent>> Watch(CancellationToken cancellationToken) =>
        Monitor.WatchEventBatches(cancellationToken);

    protected override Task ShowAsync(IReadOnlyList<BrokerEvent> batch)
    {
        for (var i = 0; i < batch.Count; i++)
        {
            _newestFirst.Insert(0, batch[i]);
        }
        if (_newestFirst.Count > MaxShown)
        {
            _newestFirst.RemoveRange(MaxShown, _newestFirst.Count - MaxShown);
        }
        _events = _newestFirst.ToArray().AsQueryable();
        return Task.CompletedTask;
    }
}
