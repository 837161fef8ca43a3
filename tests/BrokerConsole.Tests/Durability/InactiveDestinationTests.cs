using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Broker.Core.Events;
using Broker.Core.Messages;
using System.Text.Json;
using BrokerConsole.Hosting;
using BrokerConsole.Monitoring;
using BrokerConsole.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace BrokerConsole.Tests.Durability;

/// <summary>
/// The real host with a short <c>InactiveDestinationTimeout</c>: destinations that filled <c>MaxDestinations</c>
/// go once nothing uses them, stay gone after a restart on the same data directory and on the promoted slave,
/// and new ones can be created again. What holds a message or a durable subscription stays.
/// </summary>
[Collection("Processes")]
public sealed class InactiveDestinationTests(ITestOutputHelper output)
{
    private const int Fill = 48;
    private static readonly string[] Kept = ["queue:kept", "topic:durable"];

    [Fact]
    public async Task MaxDestinationsFilled_InactiveOnesRemoved_GoneAfterRestart_NewOnesAccepted()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var data = Directory.CreateTempSubdirectory("inactive-destinations-").FullName;
        try
        {
            string[] settings =
            [
                $"--Brokers:b1:DataDirectory={data}",
                $"--Brokers:b1:MaxDestinations={Fill + Kept.Length}",
                "--Brokers:b1:InactiveDestinationTimeout=00:00:01",
            ];
            await using (var host = await TestHost.StartAsync(0, settings))
            {
                // What the console's Queues and topics page reads: it must drop the rows of removed destinations.
                using var watching = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
                var rows = new RowWatch(host.Services.GetRequiredService<IMonitorSource>(), "b1", watching.Token);
                await FillAsync(host.Port);
                await using (var refused = await DurabilityStomp.ConnectAsync(host.Port))
                {
                    await refused.SendTextAsync("/queue/one-too-many", "x", ("receipt", "r"));
                    var reply = await refused.ReceiveAsync(TimeSpan.FromSeconds(10));
                    Assert.True(reply.Command == "ERROR" && reply["message"]!.Contains("MaxDestinations", StringComparison.Ordinal),
                        $"a destination past MaxDestinations was answered {DurabilityStomp.Describe(reply)}");
                }

                using var http = host.CreateHttpClient();
                await WaitForDestinationsAsync(http, "b1", Kept, timeout.Token);
                // One line and one event per sweep with the count (a sweep may catch the subscriber's consumers half gone).
                var log = await host.WaitForLogAsync("destinations inactive for");
                Assert.Contains("destinations inactive for 1 s (InactiveDestinationTimeout)", log, StringComparison.Ordinal);
                var events = await http.GetFromJsonAsync<JsonElement>("/api/events", timeout.Token);
                var removals = events.EnumerateArray().Where(e => e.GetProperty("kind").GetString() == "InactiveDestinationsRemoved")
                    .Select(e => int.Parse(e.GetProperty("detail").GetString()!.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture)).ToList();
                Assert.Equal(Fill, removals.Sum());
                Assert.DoesNotContain(events.EnumerateArray(), e => e.GetProperty("kind").GetString() == "DestinationDeleted");
                await Retry.UntilAsync("the monitor dropped the removed rows", () => rows.Current.SequenceEqual(Kept) && rows.Removed == Fill);
                await watching.CancelAsync();
                await rows.Completion;
            }

            // The removals were journaled: the restarted broker recovers only what was kept, and has room again.
            await using (var again = await TestHost.StartAsync(0, settings))
            {
                using var http = again.CreateHttpClient();
                Assert.Equal(Kept, await DestinationsAsync(http, "b1", timeout.Token));
                Assert.Contains($"recovered 1 messages in {Kept.Length} destinations", again.ReadLog(), StringComparison.Ordinal);
                await using var client = await DurabilityStomp.ConnectAsync(again.Port);
                for (var i = 0; i < Fill; i++)
                {
                    await client.SendTextAsync($"/topic/after-restart-{i}", "x", ("receipt", $"r{i}"));
                    var reply = await client.ReceiveAsync(TimeSpan.FromSeconds(10));
                    Assert.True(reply.Command == "RECEIPT", $"send {i} after the restart was answered {DurabilityStomp.Describe(reply)}");
                }
                Assert.Equal(["kept"], await DurabilityStomp.DrainBodiesAsync(again.Port, "/queue/kept", TimeSpan.FromSeconds(0.5)));
            }
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task Pair_RemovalsReplicated_PromotedSlaveHasOnlyWhatWasKept()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await using var host = await TestHost.StartPairInOneHostAsync("b1", "b2",
            "--Brokers:b1:InactiveDestinationTimeout=00:00:01", "--Brokers:b2:InactiveDestinationTimeout=00:00:01");
        var master = host.Registry.Find("b1")!;
        var slave = host.Registry.Find("b2")!;
        await Retry.UntilAsync("the slave is in sync", () => master.Status.State == Broker.Server.LifecycleState.MasterProtected, TimeSpan.FromSeconds(30));
        using var http = host.CreateHttpClient();

        await FillAsync(host.StompPort("b1"));
        await WaitForDestinationsAsync(http, "b1", Kept, timeout.Token);
        var last = master.Lifecycle.LastSequence;
        await Retry.UntilAsync("the slave holds every record", () => slave.Lifecycle.LastSequence >= last, TimeSpan.FromSeconds(30));

        // The slave's standby state folded the removals: promoted, it serves exactly what the master kept.
        var promoted = await http.PostAsync("/api/brokers/b2/promote", null, timeout.Token);
        Assert.True(promoted.IsSuccessStatusCode, $"promote answered {(int)promoted.StatusCode}: {await promoted.Content.ReadAsStringAsync(timeout.Token)}");
        await Retry.UntilAsync("b2 serves as master", () => slave.Lifecycle.Role == Broker.Server.LifecycleRole.Master && slave.ConnectorsOpen, TimeSpan.FromSeconds(30));
        Assert.Equal(Kept, await DestinationsAsync(http, "b2", timeout.Token));
        Assert.Equal(["kept"], await DurabilityStomp.DrainBodiesAsync(host.StompPort("b2"), "/queue/kept", TimeSpan.FromSeconds(0.5)));
    }

    /// <summary>
    /// A measurement, run on request (<c>BROKER_MEASURE_SWEEP=100000</c>): that many empty destinations journaled, the
    /// broker restarted with a 5 s timeout, so they all fall due in the same sweep; prints each sweep's time and the
    /// latency of persistent sends to another queue before and while the sweeps remove them.
    /// </summary>
    [Fact]
    public async Task Measure_SweepOfManyInactiveDestinations()
    {
        if (!int.TryParse(Environment.GetEnvironmentVariable("BROKER_MEASURE_SWEEP"), out var count) || count <= 0)
        {
            return;
        }
        var data = Directory.CreateTempSubdirectory("inactive-destinations-measure-").FullName;
        try
        {
            string[] settings = [$"--Brokers:b1:DataDirectory={data}", $"--Brokers:b1:MaxDestinations={count + 10}"];
            await using (var first = await TestHost.StartAsync(0, [.. settings, "--Brokers:b1:InactiveDestinationTimeout=00:00:00"]))
            {
                var filling = first.Registry.Find("b1")!.Broker;
                for (var i = 0; i < count; i++)
                {
                    await filling.Send(new Message { MessageId = filling.NextMessageId(), Destination = DestinationName.Topic($"t{i}"), Body = new byte[16] });
                }
            }
            await using var host = await TestHost.StartAsync(0, [.. settings, "--Brokers:b1:InactiveDestinationTimeout=00:00:05"]);
            var broker = host.Registry.Find("b1")!.Broker;
            var samples = new List<(DateTime Start, double Ms)>();
            var hot = DestinationName.Queue("hot");
            var one = new Stopwatch();
            var deadline = DateTime.UtcNow.AddSeconds(120);
            while (Removed(host.Registry.Events) < count && DateTime.UtcNow < deadline)
            {
                var start = DateTime.UtcNow;
                one.Restart();
                await broker.Send(new Message { MessageId = broker.NextMessageId(), Destination = hot, Body = new byte[16], Persistent = true });
                samples.Add((start, one.Elapsed.TotalMilliseconds));
                broker.Purge("hot");
            }
            await host.WaitForLogAsync("destinations inactive for");
            await Task.Delay(1000);
            var sweeps = host.ReadLog().Split('\n').Where(l => l.Contains("destinations inactive for", StringComparison.Ordinal))
                .Select(l => (End: DateTime.Parse(l[..23], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal),
                    Removed: int.Parse(Regex.Match(l, @"removed (\d+) destinations").Groups[1].Value, CultureInfo.InvariantCulture),
                    Ms: int.Parse(Regex.Match(l, @"took (\d+) ms").Groups[1].Value, CultureInfo.InvariantCulture))).ToList();
            var from = sweeps[0].End.AddMilliseconds(-sweeps[0].Ms);
            var during = samples.Where(x => x.Start >= from && x.Start <= sweeps[^1].End).Select(x => x.Ms).Order().ToList();
            var before = samples.Where(x => x.Start < from).Select(x => x.Ms).Order().ToList();
            output.WriteLine($"{count} destinations: {sweeps.Count} sweeps removed {sweeps.Sum(w => w.Removed)} in {(sweeps[^1].End - from).TotalMilliseconds:0} ms; " +
                $"sweep times {string.Join(", ", sweeps.Select(w => $"{w.Removed}: {w.Ms} ms"))}");
            output.WriteLine($"persistent sends to another queue: before {Describe(before)}; during {Describe(during)}");
            Assert.Equal(count, sweeps.Sum(w => w.Removed));
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }

        static int Removed(Broker.Core.Events.EventLog events) => events.Since(null).Where(e => e.Kind == BrokerEventKind.InactiveDestinationsRemoved)
            .Sum(e => int.Parse(e.Detail.Split(' ')[0], CultureInfo.InvariantCulture));

        static string Describe(List<double> ms) => ms.Count == 0 ? "none" :
            $"{ms.Count} sends, p50 {ms[ms.Count / 2]:0.0} ms, p99 {ms[(int)(ms.Count * 0.99)]:0.0} ms, max {ms[^1]:0.0} ms";
    }

    [Fact]
    public async Task NegativeTimeout_StopsStartUpNamingTheKey()
    {
        var error = await Assert.ThrowsAsync<BrokerConfigurationException>(() =>
            TestHost.StartAsync(0, "--Brokers:b1:InactiveDestinationTimeout=-00:00:05"));

        Assert.Contains("Brokers:b1:InactiveDestinationTimeout: '-00:00:05' must be zero (keep every destination) or more", error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Fills the broker: a queue with a persistent message, a topic with a durable subscription whose subscriber
    /// leaves, and <see cref="Fill"/> destinations (queues with a persistent message consumed, topics) held by one
    /// subscriber's connection while the others are created, then let go all at once when it closes.
    /// </summary>
    private static async Task FillAsync(int port)
    {
        await using (var producer = await DurabilityStomp.ConnectAsync(port))
        {
            await DurabilityStomp.SendPersistentAsync(producer, "/queue/kept", "kept", "kept");
            Assert.Equal("RECEIPT", (await producer.ReceiveAsync(TimeSpan.FromSeconds(10))).Command);
        }
        await using (var durable = await StompTestClient.ConnectTcpAsync(port))
        {
            Assert.Equal("CONNECTED", (await durable.ConnectAsync("admin", null, "1.2", ("client-id", "gc-test"))).Command);
            await durable.SendAsync("SUBSCRIBE", ("destination", "/topic/durable"), ("id", "d"), ("ack", "auto"),
                ("activemq.subscriptionName", "keeps-the-topic"), ("receipt", "subscribed"));
            Assert.Equal("RECEIPT", (await durable.ReceiveAsync(TimeSpan.FromSeconds(10))).Command);
        }
        await using var subscriber = await DurabilityStomp.ConnectAsync(port);
        await using var sender = await DurabilityStomp.ConnectAsync(port);
        for (var i = 0; i < Fill; i++)
        {
            var destination = i % 2 == 0 ? $"/queue/fill-{i}" : $"/topic/fill-{i}";
            await DurabilityStomp.SubscribeAsync(subscriber, destination, $"s{i}", "auto");
            await DurabilityStomp.SendPersistentAsync(sender, destination, $"m{i}", $"r{i}");
            Assert.Equal("RECEIPT", (await sender.ReceiveAsync(TimeSpan.FromSeconds(10))).Command);
            Assert.Equal($"m{i}", DurabilityStomp.Body(await subscriber.ReceiveAsync(TimeSpan.FromSeconds(10))));
        }
    }

    /// <summary>Follows <see cref="IMonitorSource.WatchDestinations"/>: the rows it would show, and how many it removed.</summary>
    private sealed class RowWatch
    {
        private readonly Lock _lock = new();
        private readonly SortedSet<string> _rows = new(StringComparer.Ordinal);
        private int _removed;

        public RowWatch(IMonitorSource monitor, string broker, CancellationToken cancellationToken) =>
            Completion = Task.Run(async () =>
            {
                await foreach (var changes in monitor.WatchDestinations(broker, cancellationToken).WithCancellation(cancellationToken))
                {
                    lock (_lock)
                    {
                        _rows.UnionWith(changes.Updated.Select(r => $"{r.Kind}:{r.Name}"));
                        _rows.ExceptWith(changes.Removed.Select(r => $"{r.Kind}:{r.Name}"));
                        _removed += changes.Removed.Count;
                    }
                }
            }, CancellationToken.None).ContinueWith(_ => { }, TaskScheduler.Default);

        public Task Completion { get; }

        public string[] Current
        {
            get { lock (_lock) { return [.. _rows]; } }
        }

        public int Removed
        {
            get { lock (_lock) { return _removed; } }
        }
    }

    private static async Task WaitForDestinationsAsync(HttpClient http, string broker, string[] expected, CancellationToken cancellationToken)
    {
        string[] current = [];
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!(current = await DestinationsAsync(http, broker, cancellationToken)).SequenceEqual(expected))
        {
            Assert.True(DateTime.UtcNow < deadline, $"{broker} still has {current.Length} destinations: {string.Join(", ", current.Take(10))}");
            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>The broker's destinations as the API lists them (queues, then topics, by name).</summary>
    private static async Task<string[]> DestinationsAsync(HttpClient http, string broker, CancellationToken cancellationToken)
    {
        var page = await http.GetFromJsonAsync<JsonElement>($"/api/brokers/{broker}/destinations?limit=1000", cancellationToken);
        return [.. page.GetProperty("items").EnumerateArray().Select(d => $"{d.GetProperty("kind").GetString()}:{d.GetProperty("name").GetString()}")];
    }
}
