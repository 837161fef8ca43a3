using System.Diagnostics;
using Broker.Core.Messages;
using BrokerConsole.Tests.Infrastructure;
using Xunit.Abstractions;

namespace BrokerConsole.Tests.Diagnostics;

/// <summary>
/// What one <c>/metrics</c> scrape costs with 100,000 destinations: the render alone (time, bytes, allocations on the
/// rendering thread) and over HTTP. A measurement, not a check: it runs only with <c>BROKER_METRICS_BENCH=1</c>;
/// <c>BROKER_METRICS_BENCH_SETTINGS</c> adds host settings (<c>--Metrics:CacheFor=00:00:00</c> to render every time),
/// <c>BROKER_METRICS_BENCH_USER</c> scrapes as that user
/// (<c>BROKER_METRICS_BENCH=1 dotnet test tests/BrokerConsole.Tests -c Release --filter FullyQualifiedName~MetricsScrapeBenchmark --logger "console;verbosity=detailed"</c>).
/// </summary>
[Collection(nameof(ProcessesCollection))]
public sealed class MetricsScrapeBenchmark(ITestOutputHelper output)
{
    private const int Destinations = 100_000;

    [Fact]
    public async Task Scrape_100000Destinations_Measured()
    {
        if (Environment.GetEnvironmentVariable("BROKER_METRICS_BENCH") != "1")
        {
            output.WriteLine("skipped: set BROKER_METRICS_BENCH=1 to measure");
            return;
        }
        var settings = (Environment.GetEnvironmentVariable("BROKER_METRICS_BENCH_SETTINGS") ?? "")
            .Split(' ', StringSplitOptions.RemoveEmptyEntries);
        await using var host = await TestHost.StartAsync(settings);
        var broker = host.Registry.Find("b1")!.Broker;
        for (var i = 0; i < Destinations; i++)
        {
            // Depths 1..100, so a top-N by depth has something to choose.
            for (var m = 0; m <= i % 100 / 50; m++)
            {
                await broker.Send(new Message { MessageId = broker.NextMessageId(), Destination = DestinationName.Queue($"bench.queue.{i:D6}"), Body = "x"u8.ToArray() });
            }
        }
        output.WriteLine($"{broker.GetDestinations().Count} destinations");
        // The render alone, on this thread: its allocations are not mixed with the host's background work. Through
        // reflection, so the same file measures the exporter before and after its Scrape() changed its return type.
        var exporter = host.Services.GetService(typeof(BrokerConsole.Diagnostics.PrometheusExporter))!;
        var scrape = exporter.GetType().GetMethod("Scrape")!;
        var fastest = TimeSpan.MaxValue;
        for (var round = 1; round <= 5; round++)
        {
            GC.Collect();
            var before = GC.GetAllocatedBytesForCurrentThread();
            var clock = Stopwatch.StartNew();
            var result = scrape.Invoke(exporter, null);
            clock.Stop();
            var allocatedMb = (GC.GetAllocatedBytesForCurrentThread() - before) / 1024.0 / 1024.0;
            var size = result switch { string text => System.Text.Encoding.UTF8.GetByteCount(text), byte[] bytes => bytes.Length, _ => -1 };
            fastest = clock.Elapsed < fastest ? clock.Elapsed : fastest;
            output.WriteLine($"render {round}: {clock.Elapsed.TotalMilliseconds:F0} ms, {size:N0} bytes, {allocatedMb:F1} MB allocated on the scraping thread");
        }
        output.WriteLine($"fastest render: {fastest.TotalMilliseconds:F0} ms");
        using var http = host.CreateHttpClient(Environment.GetEnvironmentVariable("BROKER_METRICS_BENCH_USER"));
        for (var round = 1; round <= 3; round++)
        {
            GC.Collect();
            var allocated = GC.GetTotalAllocatedBytes(precise: true);
            var clock = Stopwatch.StartNew();
            var response = await http.GetAsync("/metrics");
            var body = await response.Content.ReadAsByteArrayAsync();
            clock.Stop();
            var allocatedMb = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / 1024.0 / 1024.0;
            output.WriteLine($"HTTP scrape {round}: {(int)response.StatusCode}, {clock.Elapsed.TotalMilliseconds:F0} ms, {body.Length:N0} bytes, {allocatedMb:F1} MB allocated in the process");
        }
    }
}
