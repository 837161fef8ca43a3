using System.Text;
using Broker.Core.Messages;
using Broker.Core.Storage;
using Broker.Server;
using Broker.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace Broker.Replication.Tests;

/// <summary>
/// The journal of a broker that changed roles in one process: what it holds after it served, followed again and
/// was promoted must restart whole (the reported "damaged at offset ... valid records follow").
/// </summary>
public sealed class PromotionJournalTests
{
    [Fact]
    public async Task FormerMaster_RejoinsFollowsAndIsPromoted_ItsJournalRestartsWithEveryRecord()
    {
        await using var pair = new LifecyclePair();
        await pair.StartAsync();
        await SendAsync(pair.Master, "m1 serves", 50);
        await pair.Master.StopByOperatorAsync();
        await LifecyclePair.WaitForAsync(pair.Slave, LifecycleState.MasterUnprotected);
        await SendAsync(pair.Slave, "while m1 is stopped", 50);

        // m1 reads its journal again and follows s1 under load: the replicated records land right after what it served.
        using var inSync = new CancellationTokenSource();
        var load = Task.WhenAll(Enumerable.Range(0, 4).Select(p => SendUntilAsync(pair.Slave, $"replicated {p}", inSync.Token)));
        await pair.Master.StartByOperatorAsync();
        await LifecyclePair.WaitForAsync(pair.Master, LifecycleState.InSync);
        await Task.Delay(200);
        await inSync.CancelAsync();
        var replicated = (await load).Sum();
        // s1 receipted those without waiting while m1 was still catching up (an unprotected master goes on): an
        // operator's promotion takes what the slave holds, so let m1 hold them all first.
        await LifecyclePair.WaitUntilAsync("m1 holds every record s1 wrote",
            () => pair.Slave.Status.State == LifecycleState.MasterProtected && pair.Slave.Replication.LagRecords == 0);
        await pair.Master.PromoteByOperatorAsync();
        await SendAsync(pair.Master, "m1 promoted", 50);

        var lastSequence = pair.Master.LastSequence;
        var usedBytes = pair.Master.StoreUsedBytes;
        var directory = pair.Master.Definition.Options.DataDirectory;
        await pair.Master.DisposeAsync();
        Assert.Equal(Directory.GetFiles(directory, "segment-*.log").Sum(f => new FileInfo(f).Length), usedBytes);
        await using var journal = Journal.Open(directory, "m1", new JournalOptions { SegmentSize = 1024 * 1024 }, NullLogger.Instance);
        var replayed = journal.Replay().ToList();

        Assert.Equal(lastSequence, replayed[^1].Sequence);
        Assert.Equal(150 + replicated, replayed.Count(r => r.Record is MessageAddedRecord));
        Assert.Equal(replayed.Count, replayed.Select(r => r.Sequence).Distinct().Count());
    }

    private static async Task SendAsync(BrokerLifecycle broker, string text, int count)
    {
        for (var i = 0; i < count; i++)
        {
            await broker.Broker.Send(Persistent(broker, $"{text} {i}"));
        }
    }

    /// <returns>How many were sent.</returns>
    private static async Task<int> SendUntilAsync(BrokerLifecycle broker, string text, CancellationToken stop)
    {
        var sent = 0;
        while (!stop.IsCancellationRequested)
        {
            await broker.Broker.Send(Persistent(broker, $"{text} {sent++}"));
        }
        return sent;
    }

    private static Message Persistent(BrokerLifecycle broker, string text) => new()
    {
        MessageId = broker.Broker.NextMessageId(),
        Destination = DestinationName.Queue("q"),
        Body = Encoding.UTF8.GetBytes(text),
        Persistent = true,
    };
}
