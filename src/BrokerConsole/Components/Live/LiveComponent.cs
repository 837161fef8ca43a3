using Microsoft.AspNetCore.Components;

namespace BrokerConsole.Components.Live;

/// <summary>
/// A component that shows a live stream and owns its subscription (shared/STYLE.md, item 8): it reads the
/// stream on a background task, shows each batch on the renderer's context and re-renders, restarts the
/// subscription when <see cref="StreamKey"/> changes, and on dispose cancels it and waits for it to end.
/// </summary>
public abstract class LiveComponent<T> : ComponentBase, IAsyncDisposable
{
    private CancellationTokenSource? _cancellation;
    private Task? _watching;
    private object? _watchedKey;

    /// <summary>What the stream depends on (a broker's name, say); when it changes the subscription starts over.</summary>
    protected virtual object? StreamKey => null;

    /// <summary>The stream to show; called once per subscription.</summary>
    protected abstract IAsyncEnumerable<T> Watch(CancellationToken cancellationToken);

    /// <summary>Takes one batch into the component's state. Runs on the renderer's context, one batch at a time; a render follows.</summary>
    protected abstract Task ShowAsync(T batch);

    protected override async Task OnParametersSetAsync()
    {
        if (_watching is not null && Equals(_watchedKey, StreamKey))
        {
            return;
        }
        await StopAsync();
        _watchedKey = StreamKey;
        _cancellation = new CancellationTokenSource();
        var token = _cancellation.Token;
        // On the thread pool, so the first render does not wait for the first batch.
        _watching = Task.Run(() => ReadAsync(token), CancellationToken.None);
    }

    private async Task ReadAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var batch in Watch(cancellationToken).WithCancellation(cancellationToken))
            {
                await InvokeAsync(async () =>
                {
                    // A batch that arrives after a restart or dispose belongs to the old subscription.
                    if (!cancellationToken.IsCancellationRequested)
                    {
                        await ShowAsync(batch);
                        StateHasChanged();
                    }
                });
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The component went away or watches something else now.
        }
        catch (Exception e)
        {
            // Not swallowed on a background task: the circuit's error handling sees it.
            await InvokeAsync(() => DispatchExceptionAsync(e));
        }
    }

    private async Task StopAsync()
    {
        if (_cancellation is null)
        {
            return;
        }
        await _cancellation.CancelAsync();
        if (_watching is not null)
        {
            await _watching;
        }
        _cancellation.Dispose();
        (_cancellation, _watching) = (null, null);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await DisposeAsyncCore();
        GC.SuppressFinalize(this);
    }

    /// <summary>Anything else the component must release, after the subscription has ended.</summary>
    protected virtual ValueTask DisposeAsyncCore() => ValueTask.CompletedTask;
}
