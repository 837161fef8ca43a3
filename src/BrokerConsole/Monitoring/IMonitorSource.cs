using Broker.Core.Events;
using BrokerConsole.Api;

namespace BrokerConsole.Monitoring;

/// <summary>
/// Live data for the console and the monitor hub: a snapshot, then changes. Each call gets its own bounded
/// channel, so a slow reader loses stale data instead of slowing the brokers or the other readers.
/// </summary>
public interface IMonitorSource
{
    /// <summary>The names of the brokers of this process, in configuration order.</summary>
    IReadOnlyList<string> BrokerNames();

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

    /// <summary>
    /// The destinations of <paramref name="broker"/>: first the whole list, then only the rows that changed or went
    /// away, at most one batch per poll interval. A slow reader gets each changed row once in its newest state.
    /// </summary>
    IAsyncEnumerable<DestinationChanges> WatchDestinations(string broker, CancellationToken cancellationToken);

    /// <summary>All destinations of <paramref name="broker"/> together over the last minutes, oldest first, one sample every ~2 s.</summary>
    IReadOnlyList<RateSample> BrokerHistory(string broker);

    /// <summary>One destination (<paramref name="kind"/> <c>queue</c> or <c>topic</c>) over the last minutes, oldest first.</summary>
    IReadOnlyList<RateSample> DestinationHistory(string broker, string kind, string name);
}
