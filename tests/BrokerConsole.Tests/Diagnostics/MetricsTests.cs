using System.Net;
using System.Net.Http.Json;
using BrokerConsole.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace BrokerConsole.Tests.Diagnostics;

/// <summary>
/// <c>/metrics</c> on a real host: broker totals for anyone, destination names only when asked for (the deepest N,
/// behind a login), and one render per <c>Metrics:CacheFor</c> however many scrapes.
/// </summary>
public sealed class MetricsTests
{
    private static async Task SendAsync(TestHost host, params (string Queue, int Count)[] queues)
    {
        using var api = host.CreateHttpClient();
        foreach (var (queue, count) in queues)
        {
            var response = await api.PostAsJsonAsync($"/api/brokers/b1/queues/{queue}/messages", new { body = "x", count });
            response.EnsureSuccessStatusCode();
        }
    }

    [Fact]
    public async Task DefaultScrape_Anonymous_BrokerTotalsWithoutDestinationNames()
    {
        await using var host = await TestHost.StartAsync();
        await SendAsync(host, ("secret.payroll", 3), ("secret.orders", 2));
        using var anonymous = host.CreateHttpClient(user: null);

        var text = await anonymous.GetStringAsync("/metrics");

        Assert.Contains("broker_destinations{broker=\"b1\",kind=\"queue\"} 2", text);
        Assert.Contains("broker_pending{broker=\"b1\"} 5", text);
        Assert.DoesNotContain("secret", text);
        Assert.DoesNotContain("destination=", text);
    }

    [Fact]
    public async Task DestinationSeries_TheDeepestByNameTheRestSummed_LoginRequired()
    {
        await using var host = await TestHost.StartAsync("--Metrics:DestinationSeries=2");
        await SendAsync(host, ("deep", 4), ("deeper", 5), ("shallow", 1), ("shallower", 1));
        using var anonymous = host.CreateHttpClient(user: null);
        using var viewer = host.CreateHttpClient("viewer");

        var refused = await anonymous.GetAsync("/metrics");
        var text = await viewer.GetStringAsync("/metrics");

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("broker_destination_pending{broker=\"b1\",destination=\"deeper\",kind=\"queue\"} 5", text);
        Assert.Contains("broker_destination_pending{broker=\"b1\",destination=\"deep\",kind=\"queue\"} 4", text);
        Assert.DoesNotContain("shallow", text);
        Assert.Contains("broker_destination_pending_others{broker=\"b1\"} 2", text);
        Assert.Contains("broker_pending{broker=\"b1\"} 11", text);
    }

    [Fact]
    public async Task StoreFlushes_CountTheJournalsFlushes()
    {
        await using var host = await TestHost.StartAsync("--Brokers:b1:Connectors:0=tcp://127.0.0.1:0",
            "--Brokers:b1:DataDirectory={root}/b1", "--Metrics:CacheFor=00:00:00");
        using var api = host.CreateHttpClient();
        (await api.PostAsJsonAsync("/api/brokers/b1/queues/kept/messages", new { body = "x", persistent = true, count = 3 })).EnsureSuccessStatusCode();
        using var anonymous = host.CreateHttpClient(user: null);

        var text = await anonymous.GetStringAsync("/metrics");

        var line = text.Split('\n').Single(l => l.StartsWith("broker_store_flushes_total{broker=\"b1\"}", StringComparison.Ordinal));
        Assert.InRange(long.Parse(line.Split(" ")[1], System.Globalization.CultureInfo.InvariantCulture), 1, 20);
    }

    [Fact]
    public async Task SecondScrapeWithinCacheFor_RendersNothingNew()
    {
        await using var host = await TestHost.StartAsync("--Metrics:CacheFor=00:01:00");
        var exporter = host.Services.GetRequiredService<PrometheusExporter>();
        using var anonymous = host.CreateHttpClient(user: null);

        var first = await anonymous.GetStringAsync("/metrics");
        await SendAsync(host, ("later", 1));
        var second = await anonymous.GetStringAsync("/metrics");

        Assert.Equal(1, exporter.Renders);
        Assert.Equal(first, second);
        Assert.Contains("broker_pending{broker=\"b1\"} 0", second);
    }

    [Fact]
    public async Task CacheForZero_EveryScrapeRenders()
    {
        await using var host = await TestHost.StartAsync("--Metrics:CacheFor=00:00:00");
        var exporter = host.Services.GetRequiredService<PrometheusExporter>();
        using var anonymous = host.CreateHttpClient(user: null);

        await anonymous.GetStringAsync("/metrics");
        await SendAsync(host, ("later", 1));
        var second = await anonymous.GetStringAsync("/metrics");

        Assert.Equal(2, exporter.Renders);
        Assert.Contains("broker_pending{broker=\"b1\"} 1", second);
    }
}
