namespace BrokerConsole.Remote;

/// <summary>
/// The hosts this console watches (<c>Console:Hosts</c>), for the API and the console's pages: a snapshot, then
/// changes, as <see cref="Monitoring.IMonitorSource"/> serves this host's own brokers. Local brokers are not here:
/// <see cref="Fleet"/> puts both together.
/// </summary>
public interface IRemoteHosts
{
    /// <summary>The configured host names, in configuration order.</summary>
    IReadOnlyList<string> Names { get; }

    /// <summary>Every watched host as it stands now, in configuration order.</summary>
    IReadOnlyList<HostView> Snapshot();

    /// <summary>One host, or null when none is configured under <paramref name="name"/>.</summary>
    HostView? Find(string name);

    /// <summary>
    /// The current snapshot, then a fresh one whenever a host's state, brokers or events changed (each remote host
    /// sends its brokers at most every ~500 ms). Each call has its own channel holding only the newest snapshot, so a
    /// slow reader skips stale ones. Ends when <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    IAsyncEnumerable<IReadOnlyList<HostView>> WatchHosts(CancellationToken cancellationToken);

    /// <summary>
    /// Raised when a host's <see cref="HostState"/> changes (connected, unreachable, refused), not on every broker update.
    /// Raised on the watcher's task: a handler must not block (a component calls <c>InvokeAsync</c>).
    /// </summary>
    event Action<HostStatus>? HostsChanged;
}
