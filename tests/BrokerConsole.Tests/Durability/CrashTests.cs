using System.Collections.Concurrent;
using System.Diagnostics;
using BrokerConsole.Tests.Infrastructure;
using Xunit.Abstractions;

namespace BrokerConsole.Tests.Durability;

/// <summary>
/// SIGKILL the broker process while producers and a consumer are busy, restart it on the same data and
/// check the promise of the receipts: a receipted SEND survives, a receipted ACK stays done.
/// </summary>
[Collection("Processes")]
public sealed class CrashTests(ITestOutputHelper output)
{
    private const int Producers = 2;
    private const int Window = 16;

    [Fact]
    public async Task Broker_KilledDuringTraffic_KeepsReceiptedMessagesAndAcks()
    {
        var rounds = int.TryParse(Environment.GetEnvironmentVariable("BROKER_CRASH_ROUNDS"), out var configured) && configured > 0 ? configured : 3;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60 + (rounds * 30)));
        await using var broker = await BrokerProcess.StartAsync(cancellationToken: timeout.Token);
        var random = new Random(20240611);
        for (var round = 1; round <= rounds; round++)
        {
            var clock = Stopwatch.StartNew();
            if (broker.HasExited)
            {
                await broker.StartAsync(timeout.Token);
            }
            var destination = $"/queue/crash-{round}";
            var traffic = new Traffic();
            using var stopClients = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
            var consumer = ConsumeAsync(broker.Port, destination, traffic, stopClients.Token);
            var producers = Enumerable.Range(1, Producers)
                .Select(p => ProduceAsync(broker.Port, destination, $"r{round}-p{p}", traffic, stopClients.Token)).ToList();
            var delay = random.Next(100, 801);
            // The clock starts once traffic flows (a loaded machine may take a while to connect), not at the start.
            await traffic.Flowing.Task.WaitAsync(TimeSpan.FromSeconds(20), timeout.Token);
            await Task.Delay(delay, timeout.Token);
            broker.Kill();
            await Task.WhenAll([consumer, .. producers]).WaitAsync(TimeSpan.FromSeconds(20), timeout.Token);
            stopClients.Cancel();

            await broker.StartAsync(timeout.Token);
            var after = await DurabilityStomp.DrainBodiesAsync(broker.Port, destination, TimeSpan.FromSeconds(1.5));

            var counts = after.GroupBy(b => b).ToDictionary(g => g.Key, g => g.Count());
            var lost = traffic.Acknowledged.Keys.Where(b => !traffic.AckSent.ContainsKey(b) && !counts.ContainsKey(b)).Order().ToList();
            var resurrected = traffic.Consumed.Keys.Where(counts.ContainsKey).Order().ToList();
            var duplicated = counts.Where(c => c.Value > 1).Select(c => c.Key).Order().ToList();
            var unknown = counts.Keys.Where(b => !traffic.Sent.ContainsKey(b)).Order().ToList();
            output.WriteLine($"round {round}: kill after {delay} ms; sent {traffic.Sent.Count}, receipted {traffic.Acknowledged.Count}, " +
                $"delivered {traffic.Delivered.Count}, ack sent {traffic.AckSent.Count}, ack receipted {traffic.Consumed.Count}; " +
                $"after restart {after.Count}; {clock.ElapsedMilliseconds} ms");
            var context = $"round {round} (kill after {delay} ms){Environment.NewLine}{broker.Describe()}";
            Assert.True(traffic.Unexpected.IsEmpty, $"unexpected frames: {string.Join(" | ", traffic.Unexpected)}; {context}");
            Assert.True(traffic.Acknowledged.Count > 0, $"no SEND was receipted before the kill: {context}");
            Assert.True(lost.Count == 0, $"{lost.Count} receipted, unconsumed messages lost, e.g. {string.Join(", ", lost.Take(10))}; {context}");
            Assert.True(resurrected.Count == 0, $"{resurrected.Count} messages whose ACK was receipted came back, e.g. {string.Join(", ", resurrected.Take(10))}; {context}");
            Assert.True(duplicated.Count == 0, $"{duplicated.Count} messages delivered twice after restart, e.g. {string.Join(", ", duplicated.Take(10))}; {context}");
            Assert.True(unknown.Count == 0, $"messages nobody sent: {string.Join(", ", unknown.Take(10))}; {context}");
        }
    }

    /// <summary>Sends persistent messages, at most <see cref="Window"/> unreceipted at a time, until the connection dies.</summary>
    private static async Task ProduceAsync(int port, string destination, string name, Traffic traffic, CancellationToken cancellationToken)
    {
        StompTestClient client;
        try
        {
            client = await DurabilityStomp.ConnectAsync(port);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or EndOfStreamException or InvalidOperationException)
        {
            return;
        }
        await using var _ = client;
        using var window = new SemaphoreSlim(Window);
        var receipts = Task.Run(async () =>
        {
            try
            {
                while (await client.TryReceiveAsync(TimeSpan.FromSeconds(15)) is { } frame)
                {
                    if (frame.Command != "RECEIPT")
                    {
                        traffic.Unexpected.Enqueue($"{name}: {DurabilityStomp.Describe(frame)}");
                        return;
                    }
                    traffic.Acknowledged.TryAdd(frame["receipt-id"]!, 0);
                    traffic.Flowing.TrySetResult();
                    window.Release();
                }
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException or ObjectDisposedException)
            {
            }
        }, CancellationToken.None);
        try
        {
            for (var i = 1; !cancellationToken.IsCancellationRequested && !receipts.IsCompleted; i++)
            {
                if (!await window.WaitAsync(TimeSpan.FromMilliseconds(200), cancellationToken))
                {
                    i--;
                    continue;
                }
                var body = $"{name}-m{i}";
                traffic.Sent.TryAdd(body, 0);
                await DurabilityStomp.SendPersistentAsync(client, destination, body, receipt: body);
            }
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        await receipts;
    }

    /// <summary>Consumes with client-individual acks, each ACK asking for a receipt, until the connection dies.</summary>
    private static async Task ConsumeAsync(int port, string destination, Traffic traffic, CancellationToken cancellationToken)
    {
        try
        {
            await using var client = await DurabilityStomp.ConnectAsync(port);
            await DurabilityStomp.SubscribeAsync(client, destination, "c", "client-individual", prefetch: 50);
            while (!cancellationToken.IsCancellationRequested && await client.TryReceiveAsync(TimeSpan.FromSeconds(15)) is { } frame)
            {
                switch (frame.Command)
                {
                    case "MESSAGE":
                        var body = DurabilityStomp.Body(frame);
                        traffic.Delivered.TryAdd(body, 0);
                        traffic.AckSent.TryAdd(body, 0);
                        await client.SendAsync("ACK", ("id", frame["ack"]!), ("receipt", "ack:" + body));
                        break;
                    case "RECEIPT" when frame["receipt-id"]!.StartsWith("ack:", StringComparison.Ordinal):
                        traffic.Consumed.TryAdd(frame["receipt-id"]!["ack:".Length..], 0);
                        break;
                    default:
                        traffic.Unexpected.Enqueue($"consumer: {DurabilityStomp.Describe(frame)}");
                        return;
                }
            }
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException
            or EndOfStreamException or InvalidOperationException or ObjectDisposedException)
        {
            // The broker was killed under us.
        }
    }

    private sealed class Traffic
    {
        public ConcurrentDictionary<string, byte> Sent { get; } = new();

        /// <summary>SENDs whose RECEIPT arrived: durable.</summary>
        public ConcurrentDictionary<string, byte> Acknowledged { get; } = new();

        public ConcurrentDictionary<string, byte> Delivered { get; } = new();

        /// <summary>ACKs written (they may or may not have been applied).</summary>
        public ConcurrentDictionary<string, byte> AckSent { get; } = new();

        /// <summary>ACKs whose RECEIPT arrived: the removal is durable.</summary>
        public ConcurrentDictionary<string, byte> Consumed { get; } = new();

        public ConcurrentQueue<string> Unexpected { get; } = new();

        /// <summary>Completes at the first receipted SEND.</summary>
        public TaskCompletionSource Flowing { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
