using System.Runtime.CompilerServices;
using Broker.Core.Events;
using BrokerConsole.Api;
using Microsoft.AspNetCore.SignalR;

namespace BrokerConsole.Monitoring;

/// <summary>
/// <c>/hubs/monitor</c>: the console's live data for outside clients and tests. Each stream starts with a
/// snapshot, then sends changes until the caller cancels it or disconnects.
/// </summary>
public sealed class MonitorHub(IMonitorSource source) : Hub
{
    /// <summary>Every broker: the current list, then a fresh list whenever something changed.</summary>
    public IAsyncEnumerable<IReadOnlyList<BrokerView>> StreamBrokers(CancellationToken cancellationToken) =>
        source.WatchBrokers(cancellationToken);

    /// <summary>The recent events as the first batch, then later events in batches.</summary>
    public async IAsyncEnumerable<IReadOnlyList<BrokerEvent>> StreamEvents([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var (snapshot, changes) = source.WatchEvents(cancellationToken);
        yield return snapshot;
        await foreach (var batch in changes.WithCancellation(cancellationToken))
        {
            yield return batch;
        }
    }
}
