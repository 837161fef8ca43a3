using Broker.Core.Events;
using BrokerConsole.Api;

namespace BrokerConsole.Monitoring;

/// <summary>
/// Live data for the console and the monitor hub: a snapshot, then changes. Each call gets its own bounded
/// channel, so a slow reader loses stale data instead of slowing the brokers or the other readers.
/// </summary>
public interface IMonitorSource
{
    /// <summary>
    /// Every broker of this process: the first item is the current snapshot, then a fresh snapshot at most
    /// every poll interval (~500 ms) and only when something changed. Ends when <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    IAsyncEnumerable<IReadOnlyList<BrokerView>> WatchBrokers(CancellationToken cancellationToken);

    /// <summary>
    /// The recent events, then later events coalesced into batches at most every ~100 ms. No event falls between
    /// the snapshot and the changes. Cancelling <paramref name="cancellationToken"/> ends the changes.
    /// </summary>
    (IReadOnlyList<BrokerEvent> Snapshot, IAsyncEnumerable<IReadOnlyList<BrokerEvent>> Changes) WatchEvents(CancellationToken cancellationToken);
}
