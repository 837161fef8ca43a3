using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace BrokerConsole.Remote;

/// <summary>
/// One <see cref="RemoteHostWatcher"/> per configured host, each on its own task from start to stop of the web host,
/// and the fan-out of their changes to one bounded channel per reader (<see cref="WatchHosts"/>).
/// </summary>
internal sealed class RemoteHosts : IRemoteHosts, IHostedService, IAsyncDisposable
{
    private readonly IReadOnlyList<RemoteHostWatcher> _watchers;
    private readonly Lock _lock = new();
    private readonly List<Channel<IReadOnlyList<HostView>>> _readers = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly ILogger _logger;
    private Task[] _running = [];
    private int _disposed;

    public RemoteHosts(ConsoleOptions options, TimeProvider time, ILoggerFactory loggers)
        : this(options, ReconnectBackoff.Default, time, loggers)
    {
    }

    internal RemoteHosts(ConsoleOptions options, ReconnectBackoff backoff, TimeProvider time, ILoggerFactory loggers)
    {
        _logger = loggers.CreateLogger("BrokerConsole.Remote.Hosts");
        _watchers = [.. options.Hosts.Select(h => new RemoteHostWatcher(h.Key, h.Value, options, backoff, time, _logger, OnChanged))];
        Names = [.. _watchers.Select(w => w.Name)];
    }

    public IReadOnlyList<string> Names { get; }

    public event Action<HostStatus>? HostsChanged;

    public IReadOnlyList<HostView> Snapshot() => [.. _watchers.Select(w => w.View)];

    public HostView? Find(string name) => _watchers.FirstOrDefault(w => w.Name == name)?.View;

    public async IAsyncEnumerable<IReadOnlyList<HostView>> WatchHosts([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var channel = Channel.CreateBounded<IReadOnlyList<HostView>>(new BoundedChannelOptions(1)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });
        // Registered before the snapshot is taken, so a change right after it still reaches this reader.
        lock (_lock)
        {
            _readers.Add(channel);
        }
        try
        {
            yield return Snapshot();
            while (true)
            {
                try
                {
                    if (!await channel.Reader.WaitToReadAsync(cancellationToken))
                    {
                        yield break;
                    }
                }
                catch (OperationCanceledException)
                {
                    yield break;
                }
                if (channel.Reader.TryRead(out var next))
                {
                    yield return next;
                }
            }
        }
        finally
        {
            lock (_lock)
            {
                _readers.Remove(channel);
            }
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Each watcher on its own task: StartAsync never waits for a host, however slow.
        _running = [.. _watchers.Select(w => Task.Run(() => w.RunAsync(_stopping.Token), CancellationToken.None))];
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        try
        {
            await Task.WhenAll(_running).WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The host's shutdown timeout: a watcher stuck in a close gives up with the process.
        }
    }

    private void OnChanged(RemoteHostWatcher watcher, bool stateChanged)
    {
        var snapshot = Snapshot();
        lock (_lock)
        {
            foreach (var reader in _readers)
            {
                reader.Writer.TryWrite(snapshot);
            }
        }
        if (stateChanged && HostsChanged is { } handlers)
        {
            try
            {
                handlers(watcher.View.Status);
            }
            catch (Exception e)
            {
                // A subscriber's bug must not stop the watcher that raised the event.
                RemoteLog.HandlerFailed(_logger, e, watcher.Name);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Once: the container disposes this instance under both of its registrations.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await _stopping.CancelAsync();
        lock (_lock)
        {
            foreach (var reader in _readers)
            {
                reader.Writer.TryComplete();
            }
            _readers.Clear();
        }
    }
}
