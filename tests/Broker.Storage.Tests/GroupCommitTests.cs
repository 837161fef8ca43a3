using Broker.Core.Storage;

namespace Broker.Storage.Tests;

public class GroupCommitTests : JournalTestBase
{
    [Fact]
    public async Task Append_ConcurrentProducers_ShareFlushes()
    {
        const int Producers = 8;
        const int PerProducer = 500;
        const int Window = 4;
        var (journal, _) = OpenReplay();
        await using (journal)
        {
            var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var producers = Enumerable.Range(0, Producers).Select(p => Task.Run(async () =>
            {
                await start.Task;
                // Each producer has up to Window sends awaiting their receipts, as an asynchronous client would.
                var tickets = new List<StoreTicket>(PerProducer);
                for (var i = 0; i < PerProducer; i++)
                {
                    if (i >= Window)
                    {
                        await tickets[i - Window].Durable;
                        Assert.True(journal.DurableSequence >= tickets[i - Window].Sequence);
                    }
                    tickets.Add(journal.Append(Add($"p{p}-{i}", producerId: $"p{p}", producerSequence: i + 1)));
                }
                await Task.WhenAll(tickets.Select(t => t.Durable));
                return tickets.Select(t => t.Sequence);
            })).ToList();
            start.SetResult();
            var all = (await Task.WhenAll(producers)).SelectMany(s => s).ToList();

            const int Records = Producers * PerProducer;
            Assert.Equal(Enumerable.Range(1, Records).Select(i => (long)i), all.Order());
            Assert.Equal(Records, journal.DurableSequence);
            Assert.True(journal.FlushCount < Records / 2, $"{journal.FlushCount} flushes for {Records} records");
            Assert.True(journal.FlushCount > 0);
        }

        var replayed = await ReopenAndReplay();
        Assert.Equal(Producers * PerProducer, replayed.Count);
        Assert.Equal(Enumerable.Range(1, Producers * PerProducer).Select(i => (long)i), replayed.Select(r => r.Sequence));
    }

    [Fact]
    public async Task WhenDurable_CompletesAfterTheRecordsFlush()
    {
        var (journal, _) = OpenReplay();
        await using (journal)
        {
            var flushesBefore = journal.FlushCount;
            var ticket = journal.Append(Add("m1"));
            var second = journal.Append(Add("m2"));
            var whenDurable = journal.WhenDurable(second.Sequence);

            await whenDurable;

            Assert.True(ticket.Durable.IsCompletedSuccessfully);
            Assert.True(journal.DurableSequence >= second.Sequence);
            Assert.True(journal.FlushCount > flushesBefore);
            Assert.True(journal.WhenDurable(second.Sequence).IsCompletedSuccessfully);
            Assert.True(journal.WhenDurable(0).IsCompletedSuccessfully);
        }
    }

    [Fact]
    public async Task WhenDurable_AfterReplay_IsCompleteForReplayedRecords()
    {
        var (journal, _) = OpenReplay();
        await journal.Append(Add("m1")).Durable;
        await journal.DisposeAsync();

        var (reopened, _) = OpenReplay();
        await using (reopened)
        {
            Assert.Equal(1, reopened.DurableSequence);
            Assert.True(reopened.WhenDurable(1).IsCompletedSuccessfully);
        }
    }

    [Fact]
    public async Task Dispose_WithPendingAppends_FlushesThemFirst()
    {
        var (journal, _) = OpenReplay();
        var tickets = Enumerable.Range(0, 200).Select(i => journal.Append(Add($"m{i}"))).ToList();
        await journal.DisposeAsync();

        Assert.All(tickets, t => Assert.True(t.Durable.IsCompletedSuccessfully));
        var replayed = await ReopenAndReplay();
        Assert.Equal(200, replayed.Count);
    }
}
