using System.Text;
using BrokerConsole.Tests.Infrastructure;
using Xunit.Abstractions;

namespace BrokerConsole.Tests.Durability;

/// <summary>The broker process on a small private tmpfs: a full disk refuses sends, never acks, never crashes.</summary>
[Collection("Processes")]
public sealed class DiskFullTests(ITestOutputHelper output)
{
    [SkippableRootTheory]
    [InlineData(1048576)]
    [InlineData(2097152)]
    public async Task DiskFull_PersistentSends_RefusedButReceiptedMessagesStillConsumable(long segmentSize)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(150));
        await using var broker = await BrokerProcess.StartAsync(new BrokerProcessOptions
        {
            TmpfsMegabytes = 8,
            Settings = [$"--Brokers:b1:JournalSegmentSize={segmentSize}"],
        }, timeout.Token);
        var receipted = await FillDiskAsync(broker, timeout.Token);
        Assert.False(broker.HasExited, broker.Describe());

        var consumed = new List<string>();
        await using (var consumer = await DurabilityStomp.ConnectAsync(broker.Port))
        {
            await DurabilityStomp.SubscribeAsync(consumer, "/queue/full", "s", "client-individual", prefetch: 10);
            // A prefetched MESSAGE may come before the RECEIPT of the previous ACK: take frames as they come.
            var ackReceipts = 0;
            while (consumed.Count < receipted.Count || ackReceipts < consumed.Count)
            {
                var frame = await consumer.ReceiveAsync().WaitAsync(timeout.Token);
                if (frame.Command == "MESSAGE")
                {
                    await consumer.SendAsync("ACK", ("id", frame["ack"]!), ("receipt", $"a{consumed.Count}"));
                    consumed.Add(Encoding.UTF8.GetString(frame.Body.Span));
                }
                else
                {
                    Assert.True(frame.Command == "RECEIPT" && frame["receipt-id"] == $"a{ackReceipts}",
                        $"after {consumed.Count} of {receipted.Count} messages and {ackReceipts} ACK receipts: {DurabilityStomp.Describe(frame)}{Environment.NewLine}{broker.Describe()}");
                    ackReceipts++;
                }
            }
        }
        Assert.Equal(receipted, consumed);
        Assert.False(broker.HasExited, broker.Describe());
        await using var last = await DurabilityStomp.ConnectAsync(broker.Port);
    }

    [SkippableRootFact]
    public async Task DiskFull_OneMebibyteSegments_HoldsAtLeastOneMebibyteOfMessages()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(150));
        await using var broker = await BrokerProcess.StartAsync(new BrokerProcessOptions
        {
            TmpfsMegabytes = 8,
            Settings = ["--Brokers:b1:JournalSegmentSize=1048576"],
        }, timeout.Token);

        var receipted = await FillDiskAsync(broker, timeout.Token);

        Assert.True(receipted.Count >= 256, $"an 8 MiB disk took only {receipted.Count} messages of 4 KiB{Environment.NewLine}{broker.Describe()}");
    }

    /// <summary>Sends persistent 4 KiB messages, one receipt at a time, until the ERROR saying the disk is full; returns the receipted ones.</summary>
    private async Task<List<string>> FillDiskAsync(BrokerProcess broker, CancellationToken cancellationToken)
    {
        var receipted = new List<string>();
        string? error = null;
        await using (var producer = await DurabilityStomp.ConnectAsync(broker.Port))
        {
            for (var i = 0; i < 20_000 && error is null; i++)
            {
                var body = $"{i:D8}:" + new string((char)('a' + (i % 26)), 4096 - 9);
                await DurabilityStomp.SendPersistentAsync(producer, "/queue/full", body, $"r{i}");
                var reply = await producer.ReceiveAsync().WaitAsync(cancellationToken);
                if (reply.Command == "RECEIPT")
                {
                    receipted.Add(body);
                }
                else
                {
                    Assert.True(reply.Command == "ERROR", $"send {i}: {DurabilityStomp.Describe(reply)}");
                    error = reply["message"];
                }
            }
        }
        output.WriteLine($"{receipted.Count} messages of 4 KiB receipted before: {error}");
        Assert.True(error is not null, $"no ERROR after {receipted.Count} sends{Environment.NewLine}{broker.Describe()}");
        Assert.True(error.Contains("disk", StringComparison.OrdinalIgnoreCase) && error.Contains("full", StringComparison.OrdinalIgnoreCase),
            $"the ERROR does not say the disk is full: {error}");
        Assert.NotEmpty(receipted);
        return receipted;
    }
}

/// <summary>A fact that needs root (mount namespaces, tmpfs): skipped, saying why, for anyone else.</summary>
public sealed class SkippableRootFactAttribute : FactAttribute
{
    public SkippableRootFactAttribute()
    {
        Skip = RootRequirement.SkipReason;
    }
}

/// <summary>A theory that needs root (mount namespaces, tmpfs): skipped, saying why, for anyone else.</summary>
public sealed class SkippableRootTheoryAttribute : TheoryAttribute
{
    public SkippableRootTheoryAttribute()
    {
        Skip = RootRequirement.SkipReason;
    }
}

internal static class RootRequirement
{
    public static string? SkipReason { get; } =
        !OperatingSystem.IsLinux() ? "needs Linux mount namespaces (unshare -m) and tmpfs"
        : GetEuid() != 0 ? "needs root to mount a private tmpfs (unshare -m + mount -t tmpfs); run as root (CI does)"
        : null;

    private static uint GetEuid()
    {
        try
        {
            var status = File.ReadAllLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal));
            var fields = status?.Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
            return fields is { Length: > 2 } ? uint.Parse(fields[2], System.Globalization.CultureInfo.InvariantCulture) : uint.MaxValue;
        }
        catch (IOException)
        {
            return uint.MaxValue;
        }
    }
}
