namespace BrokerConsole.Remote;

/// <summary>
/// What the console's pages read of <see cref="Fleet"/>: hosts, brokers and pairs now, and live. A seam, so a page is
/// tested against a channel-backed fake instead of a host with watchers (shared/STYLE.md, items 2 and 15).
/// </summary>
public interface IFleetSource
{
    /// <summary>Hosts, brokers and pairs at one moment.</summary>
    FleetSnapshot Snapshot();

    /// <summary>The current snapshot, then a fresh one on every change, newest only; ends when <paramref name="cancellationToken"/> is cancelled.</summary>
    IAsyncEnumerable<FleetSnapshot> Watch(CancellationToken cancellationToken);
}
