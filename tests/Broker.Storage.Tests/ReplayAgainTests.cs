using Broker.Core.Storage;

namespace Broker.Storage.Tests;

/// <summary>A journal replayed a second time while open: a master demoted to slave folds it into a standby state.</summary>
public class ReplayAgainTests : JournalTestBase
{
    [Fact]
    public async Task Replay_AgainWhileOpen_SameRecords_EverySegmentOnce()
    {
        var (journal, _) = OpenReplay(Small());
        await using (journal)
        {
            var body = new string('r', 3000);
            for (var i = 0; i < 50; i++)
            {
                journal.Append(i % 10 == 9 ? new TransactionRecord([Add($"x{i}"), Remove(i)]) : Add($"m{i}", body));
            }
            var segments = journal.SegmentCount;
            Assert.True(segments > 2);

            var again = journal.Replay().ToList();

            Assert.Equal(segments, journal.SegmentCount);
            Assert.Equal(journal.ReadFrom(1).Select(r => (r.Sequence, Describe(r.Record))), again.Select(r => (r.Sequence, Describe(r.Record))));
            Assert.Equal(50, again.Count);
        }
    }

    [Fact]
    public async Task ResetAsync_AfterASecondReplay_SetsAsideEveryFile_AndTheJournalGoesOn()
    {
        var (journal, _) = OpenReplay(Small());
        await using (journal)
        {
            for (var i = 0; i < 40; i++)
            {
                journal.Append(Add($"m{i}", new string('r', 3000)));
            }
            _ = journal.Replay().ToList();
            var setAside = Path.Combine(Dir, SetAsideArchive.FolderName, "20261127-101500-from-1");

            await journal.ResetAsync(setAside);

            Assert.Equal(40, SetAsideArchive.Find(Dir, "20261127-101500-from-1")!.Summarize().Messages);
            var ticket = journal.Append(Add("after"));
            await ticket.Durable.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(1, ticket.Sequence);
        }
        var records = await ReopenAndReplay(Small());
        Assert.Equal(["after"], records.Select(r => ((MessageAddedRecord)r.Record).Message.MessageId));
    }
}
