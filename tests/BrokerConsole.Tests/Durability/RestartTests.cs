using System.Globalization;
using BrokerConsole.Tests.Infrastructure;

namespace BrokerConsole.Tests.Durability;

/// <summary>What a broker process keeps across a SIGKILL: the duplicate filter's marks, and no stale lock.</summary>
[Collection("Processes")]
public sealed class RestartTests
{
    [Fact]
    public async Task DuplicateFilter_ResendAfterKill_KeepsOneCopyOfEach()
    {
        const int count = 50;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await using var broker = await BrokerProcess.StartAsync(cancellationToken: timeout.Token);

        await SendSequenceAsync(broker, count, "first");
        broker.Kill();
        await broker.StartAsync(timeout.Token);
        await SendSequenceAsync(broker, count, "again");
        var bodies = await DurabilityStomp.DrainBodiesAsync(broker.Port, "/queue/dedup", TimeSpan.FromSeconds(1.5)).WaitAsync(timeout.Token);

        Assert.True(Enumerable.Range(1, count).Select(i => $"first-{i}").SequenceEqual(bodies),
            $"expected first-1..first-{count} once each, got {bodies.Count}: {string.Join(", ", bodies.Take(20))}{Environment.NewLine}{broker.Describe()}");
    }

    [Fact]
    public async Task DataDirectory_SecondBrokerOnIt_RefusesNamingHolderAndKillFreesIt()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await using var first = await BrokerProcess.StartAsync(cancellationToken: timeout.Token);
        await using var second = BrokerProcess.Create(new BrokerProcessOptions { DataDirectory = first.DataDirectory });

        var started = await second.TryStartAsync(timeout.Token);
        if (!second.HasExited)
        {
            await second.WaitForExitAsync(timeout.Token);
        }

        Assert.False(started, $"a second broker started on a data directory in use{Environment.NewLine}{second.Describe()}");
        Assert.NotEqual(0, second.ExitCode);
        Assert.Contains($"in use by process {first.ProcessId}", second.Output, StringComparison.Ordinal);
        Assert.Contains(first.DataDirectory, second.Output, StringComparison.Ordinal);

        first.Kill();
        await first.StartAsync(timeout.Token);
        await using var client = await DurabilityStomp.ConnectAsync(first.Port);
    }

    private static async Task SendSequenceAsync(BrokerProcess broker, int count, string prefix)
    {
        await using var producer = await DurabilityStomp.ConnectAsync(broker.Port);
        for (var seq = 1; seq <= count; seq++)
        {
            await DurabilityStomp.SendPersistentAsync(producer, "/queue/dedup", $"{prefix}-{seq}", $"r{seq}",
                ("producer-id", "P"), ("producer-seq", seq.ToString(CultureInfo.InvariantCulture)));
        }
        for (var seq = 1; seq <= count; seq++)
        {
            var reply = await producer.ReceiveAsync();
            Assert.True(reply.Command == "RECEIPT" && reply["receipt-id"] == $"r{seq}",
                $"{prefix} send {seq}: expected RECEIPT r{seq}, got {DurabilityStomp.Describe(reply)}{Environment.NewLine}{broker.Describe()}");
        }
    }
}
