using System.Threading.Channels;

namespace Broker.Core.Events;

/// <summary>
/// The process-wide event timeline: a fixed-size ring of recent events plus a channel per watcher. A watcher
/// that does not keep up loses its oldest undelivered events rather than slowing the broker.
/// </summary>
public sealed class EventLog(int capacity = 2000)
{
    private readonly Lock _lock = new();
    private readonly Queue<BrokerEvent> _recent = new(capacity);
    private readonly List<Channel<BrokerEvent>> _watchers = [];

    public void Publish(BrokerEvent @event)
    {
        lock (_lock)
        {
            if (_recent.Count == capacity)
            {
                _recent.Dequeue();
            }
            _recent.Enqueue(@event);
            foreach (var watcher in _watchers)
            {
                watcher.Writer.TryWrite(@event);
            }
        }
    }

    public IReadOnlyList<BrokerEvent> Since(DateTimeOffset? since)
    {
        lock (_lock)
        {
            return [.. _recent.Where(e => since is null || e.Time > since)];
        }
    }

    /// <summary>
    /// The events so far and every later one. The watcher is registered under the same lock that takes the
    /// snapshot, so no event falls between the two. Cancelling <paramref name="cancellationToken"/> ends it.
    /// </summary>
    public (IReadOnlyList<BrokerEvent> Snapshot, ChannelReader<BrokerEvent> Changes) Watch(CancellationToken cancellationToken)
    {
        var channel = Channel.CreateBounded<BrokerEvent>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });
        IReadOnlyList<BrokerEvent> snapshot;
        lock (_lock)
        {
            snapshot = [.. _recent];
            _watchers.Add(channel);
        }
        cancellationToken.Register(() =>
        {
            lock (_lock)
            {
                _watchers.Remove(channel);
            }
            channel.Writer.TryComplete();
        });
        return (snapshot, channel.Reader);
    }
}
