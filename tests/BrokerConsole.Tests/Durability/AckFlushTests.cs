using System.Diagnostics;
using BrokerConsole.Tests.Infrastructure;

namespace BrokerConsole.Tests.Durability;

/// <summary>
/// An acknowledgement rides the next flush (at the latest AckFlushDelay later) instead of paying one of its own. A
/// long delay here shows what must not wait for it: the connection's next message, and a receipt asked on ACK.
/// </summary>
[Collection("Processes")]
public sealed class AckFlushTests
{
    private const string LongDelay = "00:00:05";

    [Fact]
    public async Task AckWithoutReceipt_DoesNotHoldBackTheNextMessage()
    {
        await using var host = await TestHost.StartAsync("--Brokers:b1:Connectors:0=tcp://127.0.0.1:0",
            "--Brokers:b1:DataDirectory={root}/b1", $"--Brokers:b1:AckFlushDelay={LongDelay}");
        await using var client = await DurabilityStomp.ConnectAsync(host.StompPort());
        await DurabilityStomp.SendPersistentAsync(client, "/queue/next", "m1", "r1");
        await DurabilityStomp.SendPersistentAsync(client, "/queue/next", "m2", "r2");
        Assert.Equal("r1", (await client.ReceiveAsync())["receipt-id"]);
        Assert.Equal("r2", (await client.ReceiveAsync())["receipt-id"]);
        await DurabilityStomp.SubscribeAsync(client, "/queue/next", "s", "client-individual", prefetch: 1);
        var first = await client.ReceiveAsync();
        Assert.Equal("m1", DurabilityStomp.Body(first));

        await client.SendAsync("ACK", ("id", first["ack"]!));
        // The connection's output used to wait for the ACK's flush; now m2 follows the ACK at once.
        var second = await client.ReceiveAsync(TimeSpan.FromSeconds(4));

        Assert.Equal("m2", DurabilityStomp.Body(second));
    }

    [Fact]
    public async Task AckWithReceipt_IsFlushedAtOnce_AndSurvivesSigkill()
    {
        const int Count = 10;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await using var broker = await BrokerProcess.StartAsync(new BrokerProcessOptions { Settings = [$"--Brokers:b1:AckFlushDelay={LongDelay}"] }, timeout.Token);
        await using (var client = await DurabilityStomp.ConnectAsync(broker.Port))
        {
            for (var i = 0; i < Count; i++)
            {
                await DurabilityStomp.SendPersistentAsync(client, "/queue/acked", $"m{i}", $"r{i}");
                Assert.Equal($"r{i}", (await client.ReceiveAsync().WaitAsync(timeout.Token))["receipt-id"]);
            }
            await DurabilityStomp.SubscribeAsync(client, "/queue/acked", "s", "client-individual", prefetch: 1);
            var clock = Stopwatch.StartNew();
            var (messages, receipts) = (0, 0);
            while (receipts < Count)
            {
                // The next MESSAGE may come before the RECEIPT: it does not wait for the flush.
                var frame = await client.ReceiveAsync().WaitAsync(timeout.Token);
                if (frame.Command == "MESSAGE")
                {
                    Assert.Equal($"m{messages}", DurabilityStomp.Body(frame));
                    await client.SendAsync("ACK", ("id", frame["ack"]!), ("receipt", $"a{messages++}"));
                }
                else
                {
                    Assert.Equal($"a{receipts++}", frame["receipt-id"]);
                }
            }
            // Each receipt asked for its flush: ten of them waiting 5 s each would take 50 s.
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(25), $"ten receipted ACKs took {clock.Elapsed.TotalSeconds:0.0} s");

            broker.Kill();
        }
        await broker.StartAsync(timeout.Token);

        var after = await DurabilityStomp.DrainBodiesAsync(broker.Port, "/queue/acked", TimeSpan.FromSeconds(1.5));
        Assert.Empty(after);
    }
}
