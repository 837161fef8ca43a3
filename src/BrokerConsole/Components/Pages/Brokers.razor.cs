using BrokerConsole.Api;
using BrokerConsole.Monitoring;
using Microsoft.AspNetCore.Components;

namespace BrokerConsole.Components.Pages;

/// <summary>Every broker of this process, live: the page owns its subscription to <see cref="IMonitorSource.WatchBrokers"/>.</summary>
public sealed partial class Brokers : ComponentBase, IAsyncDisposable
{
    private readonly CancellationTokenSource _cancellation = new();
    private IQueryable<BrokerView> _brokers = Enumerable.Empty<BrokerView>().AsQueryable();
    private Task? _watching;

    [Inject]
    private IMonitorSource Monitor { get; set; } = null!;

    protected override void OnInitialized() => _watching = Task.Run(() => WatchAsync(_cancellation.Token));

    private async Task WatchAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var snapshot in Monitor.WatchBrokers(cancellationToken))
            {
                await InvokeAsync(() =>
                {
                    _brokers = snapshot.AsQueryable();
                    StateHasChanged();
                });
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The page went away.
        }
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
