using System.Globalization;
using System.Text;
using BrokerConsole.Tests.Infrastructure;
using Xunit.Abstractions;

namespace BrokerConsole.Tests.Durability;

/// <summary>Persistent messages past the memory limit (paged to the journal) and past the store limit (refused).</summary>
[Collection("Processes")]
public sealed class StorageLimitTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Paging_FiveThousandMessagesOverOneMebibyteLimit_StayOnDiskAndArriveInOrder()
    {
        const int count = 5000;
        const int batch = 250;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(180));
        await using var host = await TestHost.StartAsync("--Brokers:b1:Connectors:0=tcp://127.0.0.1:0",
            "--Brokers:b1:DataDirectory={root}/b1", "--Brokers:b1:MemoryLimit=1048576");
        var memory = host.Registry.Find("b1")!.Broker.Memory;
        var peak = 0L;

        await using (var producer = await DurabilityStomp.ConnectAsync(host.StompPort()))
        {
            for (var start = 0; start < count; start += batch)
            {
                for (var i = start; i < start + batch; i++)
                {
                    await DurabilityStomp.SendPersistentAsync(producer, "/queue/paged", Body(i), $"r{i}");
                }
                for (var i = start; i < start + batch; i++)
                {
                    var reply = await producer.ReceiveAsync().WaitAsync(timeout.Token);
                    Assert.True(reply.Command == "RECEIPT" && reply["receipt-id"] == $"r{i}", $"send {i}: {DurabilityStomp.Describe(reply)}");
                }
                peak = Math.Max(peak, memory.Used);
            }
        }
        output.WriteLine($"memory used: peak {peak} bytes after each batch of receipts, {memory.Used} at the end (limit {memory.Limit})");
        Assert.True(peak < 3 * 1024 * 1024, $"memory used reached {peak} bytes with a 1 MiB limit");

        await using var consumer = await DurabilityStomp.ConnectAsync(host.StompPort());
        await DurabilityStomp.SubscribeAsync(consumer, "/queue/paged", "s", "client-individual", prefetch: 200);
        for (var i = 0; i < count; i++)
        {
            var message = await consumer.ReceiveAsync().WaitAsync(timeout.Token);
            Assert.Equal("MESSAGE", message.Command);
            var body = DurabilityStomp.Body(message);
            Assert.True(body == Body(i), $"message {i}: expected {Body(i)[..12]}..., got {(body.Length > 12 ? body[..12] : body)}... ({body.Length} chars)");
            await consumer.SendAsync("ACK", ("id", message["ack"]!));
            peak = Math.Max(peak, memory.Used);
        }
        output.WriteLine($"memory used: peak {peak} bytes while consuming, {memory.Used} after");
        Assert.True(peak < 3 * 1024 * 1024, $"memory used reached {peak} bytes while consuming with a 1 MiB limit");
    }

    [Fact]
    public async Task StoreLimit_Reached_RefusesWithErrorAndKeepsReceiptedMessages()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await using var host = await TestHost.StartAsync("--Brokers:b1:Connectors:0=tcp://127.0.0.1:0",
            "--Brokers:b1:DataDirectory={root}/b1", "--Brokers:b1:StoreLimit=1048576", "--Brokers:b1:JournalSegmentSize=2097152");
        var receipted = new List<string>();
        string? error = null;

        await using (var producer = await DurabilityStomp.ConnectAsync(host.StompPort()))
        {
            for (var i = 0; i < 2000 && error is null; i += 16)
            {
                for (var j = i; j < i + 16; j++)
                {
                    await DurabilityStomp.SendPersistentAsync(producer, "/queue/limited", Body(j, 4096), $"r{j}");
                }
                for (var j = i; j < i + 16 && error is null; j++)
                {
                    var reply = await producer.ReceiveAsync().WaitAsync(timeout.Token);
                    if (reply.Command == "RECEIPT")
                    {
                        Assert.Equal($"r{j}", reply["receipt-id"]);
                        receipted.Add(Body(j, 4096));
                    }
                    else
                    {
                        Assert.Equal("ERROR", reply.Command);
                        error = reply["message"];
                    }
                }
            }
        }
        output.WriteLine($"{receipted.Count} messages receipted before: {error}");
        Assert.NotNull(error);
        Assert.Contains("store limit", error, StringComparison.Ordinal);
        Assert.NotEmpty(receipted);

        var bodies = await DurabilityStomp.DrainBodiesAsync(host.StompPort(), "/queue/limited", TimeSpan.FromSeconds(1.5)).WaitAsync(timeout.Token);
        Assert.True(receipted.SequenceEqual(bodies), $"receipted {receipted.Count}, consumable {bodies.Count}");
    }

    /// <summary>A unique, checkable body: the index, then filler derived from it.</summary>
    private static string Body(int index, int length = 1024)
    {
        var text = new StringBuilder(length);
        text.Append(index.ToString("D8", CultureInfo.InvariantCulture)).Append(':');
        while (text.Length < length)
        {
            text.Append((char)('a' + ((index + text.Length) % 26)));
        }
        return text.ToString();
    }
}
