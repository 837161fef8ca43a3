using Broker.Core.Destinations;
using Broker.Core.Events;
using Broker.Core.Messages;
using BrokerConsole.Monitoring;

namespace BrokerConsole.Tests.Monitoring;

public sealed class DestinationWatchTests
{
    private volatile IReadOnlyList<DestinationStatistics> _b1 = [Queue("a", 1), Queue("b", 2)];

    private static DestinationStatistics Queue(string name, long pending, long enqueued = 0) =>
        new(name, DestinationKind.Queue, pending, 0, enqueued, 0, 0);

    private MonitorSource Source(TimeSpan? historyInterval = null) => new(() => [], () => [new BrokerDestinations("b1", _b1)], new EventLog(),
        TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(10), historyInterval ?? TimeSpan.FromMilliseconds(20));

    [Fact]
    public async Task WatchDestinations_OneRowChanged_SnapshotThenOnlyThatRow()
    {
        using var source = Source();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await using var watch = source.WatchDestinations("b1", timeout.Token).GetAsyncEnumerator(timeout.Token);
        Assert.True(await watch.MoveNextAsync());
        Assert.True(watch.Current.IsSnapshot);
        Assert.Equal(["a", "b"], watch.Current.Updated.Select(r => r.Name));

        _b1 = [Queue("a", 1), Queue("b", 7)];

        Assert.True(await watch.MoveNextAsync());
        Assert.False(watch.Current.IsSnapshot);
        var changed = Assert.Single(watch.Current.Updated);
        Assert.Equal(("b", 7L), (changed.Name, changed.Pending));
        Assert.Empty(watch.Current.Removed);
    }

    [Fact]
    public async Task WatchDestinations_DestinationDeleted_Removed()
    {
        using var source = Source();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await using var watch = source.WatchDestinations("b1", timeout.Token).GetAsyncEnumerator(timeout.Token);
        Assert.True(await watch.MoveNextAsync());

        _b1 = [Queue("a", 1)];

        Assert.True(await watch.MoveNextAsync());
        Assert.Equal("b", Assert.Single(watch.Current.Removed).Name);
    }

    [Fact]
    public async Task WatchDestinations_SlowReader_GetsEachRowOnceInItsNewestState()
    {
        using var source = Source();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await using var watch = source.WatchDestinations("b1", timeout.Token).GetAsyncEnumerator(timeout.Token);
        Assert.True(await watch.MoveNextAsync());

        for (var i = 3; i <= 10; i++)
        {
            _b1 = [Queue("a", 1), Queue("b", i)];
            await Task.Delay(30);
        }

        Assert.True(await watch.MoveNextAsync());
        var rows = watch.Current.Updated;
        Assert.Equal(rows.Count, rows.DistinctBy(r => r.Key).Count());
        // What was waiting is the newest state (or, if the reader came in between polls, a later batch brings it).
        while (rows.Single(r => r.Name == "b").Pending != 10)
        {
            Assert.True(await watch.MoveNextAsync());
            rows = watch.Current.Updated;
        }
    }

    [Fact]
    public async Task History_CountersGrow_RatesAndDepthSampled()
    {
        using var source = Source(TimeSpan.FromMilliseconds(50));
        for (var i = 1; i <= 5; i++)
        {
            _b1 = [Queue("a", i * 10, enqueued: i * 100), Queue("b", 0)];
            await Task.Delay(120);
        }

        var history = source.DestinationHistory("b1", "queue", "a");
        Assert.NotEmpty(history);
        Assert.Contains(history, s => s.EnqueueRate > 0);
        Assert.Equal(50, history[^1].Pending);
        Assert.Equal(50, source.BrokerHistory("b1")[^1].Pending);
        Assert.Empty(source.DestinationHistory("b1", "topic", "a"));
    }

    [Fact]
    public void RateRing_MoreThanCapacity_KeepsTheNewestOldestFirst()
    {
        var ring = new RateRing(3);
        for (var i = 1; i <= 5; i++)
        {
            ring.Add(new RateSample(i, 0, i));
        }

        Assert.Equal([3L, 4L, 5L], ring.ToArray().Select(s => s.Pending));
    }
}
