using Broker.Core.Events;
using BrokerConsole.Api;
using BrokerConsole.Hosting;
using Microsoft.AspNetCore.SignalR;

namespace BrokerConsole.Monitoring;

/// <summary>
/// <c>/hubs/monitor</c>: the console's live data for outside clients and tests. Each stream starts with a
/// snapshot, then sends changes until the caller cancels it or disconnects.
/// </summary>
public sealed class MonitorHub(IMonitorSource source, BrokerRegistry registry) : Hub
{
    /// <summary>The contract version this host speaks and its brokers' configured links; a watching console asks it on each connect.</summary>
    public HostDescription Describe() => HostDescription.Of(registry);

    /// <summary>Every broker: the current list, then a fresh list whenever something changed.</summary>
    public IAsyncEnumerable<IReadOnlyList<BrokerView>> StreamBrokers(CancellationToken cancellationToken) =>
        source.WatchBrokers(cancellationToken);

    /// <summary>The recent events as the first batch, then later events in batches.</summary>
    public IAsyncEnumerable<IReadOnlyList<BrokerEvent>> StreamEvents(CancellationToken cancellationToken) =>
        source.WatchEventBatches(cancellationToken);

    /// <summary>One broker's queues and topics: the whole list, then the rows that changed or went away.</summary>
    public IAsyncEnumerable<DestinationChanges> StreamDestinations(string broker, CancellationToken cancellationToken) =>
        source.WatchDestinations(broker, cancellationToken);
}
