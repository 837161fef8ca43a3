using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Broker.Core.Events;

namespace BrokerConsole.Monitoring;

public sealed partial class MonitorSource
{
    public (IReadOnlyList<BrokerEvent> Snapshot, IAsyncEnumerable<IReadOnlyList<BrokerEvent>> Changes) WatchEvents(CancellationToken cancellationToken)
    {
        // The event log's channel per watcher is bounded and drops the oldest, so a stalled reader costs nothing.
        var (snapshot, changes) = _events.Watch(cancellationToken);
        return (snapshot, Batches(changes, _eventBatchInterval, cancellationToken));
    }

    private static async IAsyncEnumerable<IReadOnlyList<BrokerEvent>> Batches(
        ChannelReader<BrokerEvent> reader, TimeSpan interval, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (await WaitToReadAsync(reader, cancellationToken))
        {
            var batch = new List<BrokerEvent>();
            while (reader.TryRead(out var @event))
            {
                batch.Add(@event);
            }
            yield return batch;
            // A burst is coalesced: whatever arrives during the pause goes out as the next batch.
            try
            {
                await Task.Delay(interval, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                yield break;
            }
        }
    }
}
