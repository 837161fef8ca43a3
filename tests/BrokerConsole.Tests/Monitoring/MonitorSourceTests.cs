using Broker.Core.Destinations;
using Broker.Core.Events;
using Broker.Core.Messages;
using BrokerConsole.Api;
using BrokerConsole.Monitoring;

namespace BrokerConsole.Tests.Monitoring;

public sealed class MonitorSourceTests
{
    private static BrokerView View(string name, string state, long uptime = 0) => new(
        name, "master", state, 1, [new ConnectorView("tcp://127.0.0.1:0", 1234, true)], uptime, 0,
        new UsageView(0, 100), new UsageView(0, 100), new Broker.Server.ReplicationStatus("none", null, false, 0, 0, 0, 0, 0, 0, 0));

    [Fact]
    public async Task WatchBrokers_TrafficSampled_EachBrokerCarriesItsRatesAndDepth()
    {
        long enqueued = 0;
        using var source = new MonitorSource(() => [View("b1", "x")],
            () => [new BrokerDestinations("b1", [new DestinationStatistics("a", DestinationKind.Queue, 40, 0, Interlocked.Add(ref enqueued, 10), 0, 0)])],
            new EventLog(), TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(50));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await using var watch = source.WatchBrokers(timeout.Token).GetAsyncEnumerator(timeout.Token);

        BrokerTraffic? traffic = null;
        while (traffic is not { InRate: > 0 } && await watch.MoveNextAsync())
        {
            traffic = Assert.Single(watch.Current).Traffic;
        }

        Assert.Equal(40, traffic!.Depth);
        Assert.Equal(0, traffic.OutRate);
    }

    [Fact]
    public async Task WatchBrokers_NothingChanged_OnlySnapshotThenChangeOnly()
    {
        var state = "master unprotected";
        long uptime = 0;
        using var source = new MonitorSource(() => [View("b1", state, Interlocked.Increment(ref uptime))], new EventLog(),
            TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(10));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await using var watch = source.WatchBrokers(timeout.Token).GetAsyncEnumerator(timeout.Token);

        Assert.True(await watch.MoveNextAsync());
        Assert.Equal("master unprotected", Assert.Single(watch.Current).State);
        var next = watch.MoveNextAsync().AsTask();
        await Task.Delay(200);
        Assert.False(next.IsCompleted, "uptime alone is no change");

        state = "master protected";

        Assert.True(await next);
        Assert.Equal("master protected", Assert.Single(watch.Current).State);
    }

    [Fact]
    public async Task WatchBrokers_Cancelled_EndsAndStopsPolling()
    {
        var polls = 0;
        using var source = new MonitorSource(() => { Interlocked.Increment(ref polls); return [View("b1", "x")]; }, new EventLog(),
            TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(10));
        using var cancel = new CancellationTokenSource();
        var items = 0;

        var reading = Task.Run(async () =>
        {
            await foreach (var _ in source.WatchBrokers(cancel.Token))
            {
                items++;
            }
        });
        await Task.Delay(100);
        await cancel.CancelAsync();
        await reading.WaitAsync(TimeSpan.FromSeconds(5));
        var after = Volatile.Read(ref polls);
        await Task.Delay(100);

        Assert.Equal(1, items);
        Assert.InRange(Volatile.Read(ref polls), after, after + 1);
    }

    [Fact]
    public async Task WatchEvents_Burst_SnapshotThenCoalescedBatches()
    {
        var log = new EventLog();
        log.Publish(new BrokerEvent(DateTimeOffset.UtcNow, "b1", BrokerEventKind.BrokerStarted, "before"));
        using var source = new MonitorSource(() => [], log, TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(200));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        var (snapshot, changes) = source.WatchEvents(timeout.Token);
        await using var batches = changes.GetAsyncEnumerator(timeout.Token);
        log.Publish(new BrokerEvent(DateTimeOffset.UtcNow, "b1", BrokerEventKind.DestinationCreated, "1"));
        Assert.True(await batches.MoveNextAsync());
        var first = batches.Current;
        for (var i = 2; i <= 50; i++)
        {
            log.Publish(new BrokerEvent(DateTimeOffset.UtcNow, "b1", BrokerEventKind.DestinationCreated, $"{i}"));
        }
        var received = first.Count;
        var count = 1;
        while (received < 50 && await batches.MoveNextAsync())
        {
            received += batches.Current.Count;
            count++;
        }

        Assert.Equal("before", Assert.Single(snapshot).Detail);
        Assert.Equal(50, received);
        Assert.InRange(count, 2, 3);
    }
}
