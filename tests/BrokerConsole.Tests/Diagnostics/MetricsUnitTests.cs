using Broker.Core.Destinations;
using Broker.Core.Messages;
using BrokerConsole.Diagnostics;
using BrokerConsole.Tests.Security;

namespace BrokerConsole.Tests.Diagnostics;

public sealed class MetricsUnitTests
{
    private static DestinationStatistics Queue(string name, long pending) => new(name, DestinationKind.Queue, pending, 0, pending, 0, 0);

    [Fact]
    public void ScrapeCache_WithinCacheFor_OneRender_ThenRendersAgain()
    {
        var clock = new ManualClock();
        var rendered = 0;
        var cache = new ScrapeCache(TimeSpan.FromSeconds(2), clock, () => [(byte)++rendered]);

        var first = cache.Get();
        clock.Advance(TimeSpan.FromSeconds(1.9));
        var second = cache.Get();
        clock.Advance(TimeSpan.FromSeconds(0.1));
        var third = cache.Get();

        Assert.Equal([1], first);
        Assert.Same(first, second);
        Assert.Equal([2], third);
        Assert.Equal(2, cache.Renders);
    }

    [Fact]
    public async Task ScrapeCache_ScrapeStorm_OneRender()
    {
        var cache = new ScrapeCache(TimeSpan.FromMinutes(1), new ManualClock(), () =>
        {
            Thread.Sleep(50); // a slow render, so the storm arrives while it runs
            return [1];
        });

        await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(cache.Get)));

        Assert.Equal(1, cache.Renders);
    }

    [Fact]
    public void Summary_KeepsTheDeepest_SumsTheRest()
    {
        var destinations = Enumerable.Range(0, 1000).Select(i => Queue($"q{i:D4}", i % 100))
            .Append(new DestinationStatistics("news", DestinationKind.Topic, 0, 1, 0, 0, 0));

        var summary = DestinationSummary.Of(destinations, 3);

        Assert.Equal(1000, summary.Queues);
        Assert.Equal(1, summary.Topics);
        Assert.Equal(10 * 4950, summary.Pending);
        // Depth 99 is shared by ten queues: the first by name win, so the series are stable from scrape to scrape.
        Assert.Equal(["q0099", "q0199", "q0299"], summary.Deepest.Select(d => d.Name));
        Assert.Equal(10 * 4950 - 3 * 99, summary.PendingElsewhere);
    }

    [Fact]
    public void Summary_NoSeries_OnlyTotals()
    {
        var summary = DestinationSummary.Of([Queue("a", 5), Queue("b", 7)], 0);

        Assert.Empty(summary.Deepest);
        Assert.Equal(12, summary.Pending);
        Assert.Equal(12, summary.PendingElsewhere);
    }
}
