using System.Runtime.CompilerServices;
using Broker.Core.Events;

namespace BrokerConsole.Monitoring;

public static class MonitorSourceExtensions
{
    /// <summary>The events as one stream: the recent ones as the first batch, then later batches.</summary>
    public static async IAsyncEnumerable<IReadOnlyList<BrokerEvent>> WatchEventBatches(this IMonitorSource source,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var (snapshot, changes) = source.WatchEvents(cancellationToken);
        yield return snapshot;
        await foreach (var batch in changes.WithCancellation(cancellationToken))
        {
            yield return batch;
        }
    }
}
