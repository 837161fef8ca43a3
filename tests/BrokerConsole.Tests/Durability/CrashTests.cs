using System.Diagnostics;
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
            var consumer = traffic.ConsumeAsync(broker.Port, destination, stopClients.Token);
            var producers = Enumerable.Range(1, Producers)
                .Select(p => traffic.ProduceAsync(broker.Port, destination, $"r{round}-p{p}", stopClients.Token, Window)).ToList();
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
            var lost = traffic.Receipted.Keys.Where(b => !traffic.AckSent.ContainsKey(b) && !counts.ContainsKey(b)).Order().ToList();
            var resurrected = traffic.Consumed.Keys.Where(counts.ContainsKey).Order().ToList();
            var duplicated = counts.Where(c => c.Value > 1).Select(c => c.Key).Order().ToList();
            var unknown = counts.Keys.Where(b => !traffic.Sent.ContainsKey(b)).Order().ToList();
            output.WriteLine($"round {round}: kill after {delay} ms; sent {traffic.Sent.Count}, receipted {traffic.Receipted.Count}, " +
                $"delivered {traffic.Delivered.Count}, ack sent {traffic.AckSent.Count}, ack receipted {traffic.Consumed.Count}; " +
                $"after restart {after.Count}; {clock.ElapsedMilliseconds} ms");
            var context = $"round {round} (kill after {delay} ms){Environment.NewLine}{broker.Describe()}";
            Assert.True(traffic.Unexpected.IsEmpty, $"unexpected frames: {string.Join(" | ", traffic.Unexpected)}; {context}");
            Assert.True(traffic.Receipted.Count > 0, $"no SEND was receipted before the kill: {context}");
            Assert.True(lost.Count == 0, $"{lost.Count} receipted, unconsumed messages lost, e.g. {string.Join(", ", lost.Take(10))}; {context}");
            Assert.True(resurrected.Count == 0, $"{resurrected.Count} messages whose ACK was receipted came back, e.g. {string.Join(", ", resurrected.Take(10))}; {context}");
            Assert.True(duplicated.Count == 0, $"{duplicated.Count} messages delivered twice after restart, e.g. {string.Join(", ", duplicated.Take(10))}; {context}");
            Assert.True(unknown.Count == 0, $"messages nobody sent: {string.Join(", ", unknown.Take(10))}; {context}");
        }
    }
}
