using Broker.Core.Events;
using BrokerConsole.Monitoring;
using Microsoft.AspNetCore.Components;

namespace BrokerConsole.Components.Pages;

/// <summary>The event timeline, newest first, live: the page owns its subscription to <see cref="IMonitorSource.WatchEvents"/>.</summary>
public sealed partial class Events : ComponentBase, IAsyncDisposable
{
    /// <summary>What the page keeps; the event log itself keeps its own recent window.</summary>
    internal const int MaxShown = 1000;

    private readonly CancellationTokenSource _cancellation = new();
    private readonly List<BrokerEvent> _newestFirst = [];
    private IQueryable<BrokerEvent> _events = Enumerable.Empty<BrokerEvent>().AsQueryable();
    private Task? _watching;

    [Inject]
    private IMonitorSource Monitor { get; set; } = null!;

    protected override void OnInitialized() => _watching = Task.Run(() => WatchAsync(_cancellation.Token));

    private async Task WatchAsync(CancellationToken cancellationToken)
    {
        try
        {
            var (snapshot, changes) = Monitor.WatchEvents(cancellationToken);
            await InvokeAsync(() => Show(snapshot));
            await foreach (var batch in changes.WithCancellation(cancellationToken))
            {
                await InvokeAsync(() => Show(batch));
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The page went away.
        }
    }

    // Runs on the renderer's context (InvokeAsync), so the list is never touched by two threads.
    private void Show(IReadOnlyList<BrokerEvent> batch)
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
        StateHasChanged();
    }

    public async ValueTask DisposeAsync()
    {
        await _cancellation.CancelAsync();
        if (_watching is not null)
        {
            await _watching;
        }
        _cancellation.Dispose();
    }
}
