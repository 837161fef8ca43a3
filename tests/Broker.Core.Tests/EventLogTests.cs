using Broker.Core.Events;
using static Broker.Core.Tests.TestBroker;

namespace Broker.Core.Tests;

public class EventLogTests
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static BrokerEvent Event(int i) => new(T0.AddSeconds(i), "b1", BrokerEventKind.DestinationCreated, $"{i}");

    [Fact]
    public async Task EventLog_WatchReturnsSnapshotThenLaterEvents()
    {
        var log = new EventLog();
        log.Publish(Event(1));
        log.Publish(Event(2));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        var (snapshot, changes) = log.Watch(cts.Token);
        log.Publish(Event(3));
        log.Publish(Event(4));

        Assert.Equal(["1", "2"], snapshot.Select(e => e.Detail));
        Assert.Equal("3", (await changes.ReadAsync(cts.Token)).Detail);
        Assert.Equal("4", (await changes.ReadAsync(cts.Token)).Detail);
    }

    [Fact]
    public async Task EventLog_WatchWhilePublishing_HasNoGapAndNoDuplicate()
    {
        const int total = 20_000;
        var log = new EventLog(total);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var halfway = new ManualResetEventSlim();
        var publisher = Task.Run(() =>
        {
            for (var i = 0; i < total; i++)
            {
                if (i == total / 4)
                {
                    halfway.Set();
                }
                log.Publish(Event(i));
            }
        }, cts.Token);
        halfway.Wait(cts.Token);

        var (snapshot, changes) = log.Watch(cts.Token);
        await publisher;
        var seen = snapshot.Select(e => int.Parse(e.Detail)).ToList();
        while (seen.Count < total && changes.TryRead(out var e))
        {
            seen.Add(int.Parse(e.Detail));
        }

        Assert.Equal(Enumerable.Range(0, total), seen);
    }

    [Fact]
    public async Task EventLog_CancelledWatchCompletesItsReader()
    {
        var log = new EventLog();
        using var cts = new CancellationTokenSource();
        var (_, changes) = log.Watch(cts.Token);

        await cts.CancelAsync();
        log.Publish(Event(1));

        await changes.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(changes.TryRead(out _));
    }

    [Fact]
    public void EventLog_SinceReturnsOnlyLaterEvents()
    {
        var log = new EventLog();
        for (var i = 1; i <= 5; i++)
        {
            log.Publish(Event(i));
        }

        Assert.Equal(["1", "2", "3", "4", "5"], log.Since(null).Select(e => e.Detail));
        Assert.Equal(["4", "5"], log.Since(T0.AddSeconds(3)).Select(e => e.Detail));
        Assert.Empty(log.Since(T0.AddSeconds(5)));
    }

    [Fact]
    public void EventLog_RingKeepsOnlyTheMostRecentCapacityEvents()
    {
        var log = new EventLog(3);
        for (var i = 1; i <= 7; i++)
        {
            log.Publish(Event(i));
        }

        Assert.Equal(["5", "6", "7"], log.Since(null).Select(e => e.Detail));
        using var cts = new CancellationTokenSource();
        Assert.Equal(["5", "6", "7"], log.Watch(cts.Token).Snapshot.Select(e => e.Detail));
    }

    [Fact]
    public void EventLog_BrokerPublishesLifecycleAndDestinationEvents()
    {
        var log = new EventLog();
        using (var t = new TestBroker(events: log))
        {
            t.SendMany(Q("q"), "1");
            t.Broker.DeleteDestination(Q("q"));
        }

        Assert.Equal(
            [
                (BrokerEventKind.BrokerStarting, ""), (BrokerEventKind.BrokerStarted, ""),
                (BrokerEventKind.DestinationCreated, "/queue/q"), (BrokerEventKind.DestinationDeleted, "/queue/q"),
                (BrokerEventKind.BrokerStopped, ""), (BrokerEventKind.BrokerStopped, ""),
            ],
            log.Since(null).Select(e => (e.Kind, e.Kind is BrokerEventKind.DestinationCreated or BrokerEventKind.DestinationDeleted ? e.Detail : "")));
        Assert.All(log.Since(null), e => Assert.Equal("b1", e.Broker));
    }
}
