namespace Broker.Storage.Tests;

public class EpochHistoryTests : JournalTestBase
{
    [Fact]
    public async Task Begin_NewEpoch_PersistsAcrossReopenAndStampsRecords()
    {
        var (journal, _) = OpenReplay();
        await journal.Append(Add("old")).Durable;
        Assert.Equal(0, journal.Epoch);
        journal.Epochs.Begin(1, journal.LastSequence + 1);
        await journal.Append(Add("new")).Durable;
        Assert.Equal(1, journal.Epoch);
        await journal.DisposeAsync();

        var (reopened, replayed) = OpenReplay();
        await using (reopened)
        {
            Assert.Equal(2, replayed.Count);
            Assert.Equal(1, reopened.Epoch);
            Assert.Equal([(0L, 1L), (1L, 2L)], reopened.Epochs.Entries);
            Assert.Equal(0, reopened.Epochs.EpochAt(1));
            Assert.Equal(1, reopened.Epochs.EpochAt(2));
            Assert.Equal(1, reopened.Epochs.EpochAt(1000));
        }
        var records = RecordsIn(SegmentFiles()[0]);
        Assert.Equal(0, EpochOfRecordAt(SegmentFiles()[0], records[0].Offset));
        Assert.Equal(1, EpochOfRecordAt(SegmentFiles()[0], records[1].Offset));
    }

    [Fact]
    public void EpochAt_SeveralEpochs_FindsTheOneInForce()
    {
        var history = new EpochHistory(Dir);
        history.Begin(1, 10);
        history.Begin(3, 25);

        var reloaded = new EpochHistory(Dir);

        Assert.Equal(3, reloaded.Current);
        Assert.Equal(0, reloaded.EpochAt(1));
        Assert.Equal(0, reloaded.EpochAt(9));
        Assert.Equal(1, reloaded.EpochAt(10));
        Assert.Equal(1, reloaded.EpochAt(24));
        Assert.Equal(3, reloaded.EpochAt(25));
        Assert.False(File.Exists(Path.Combine(Dir, "epochs.tmp")));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(1)]
    [InlineData(0)]
    public void Begin_EpochNotAfterCurrent_Throws(long epoch)
    {
        var history = new EpochHistory(Dir);
        history.Begin(2, 5);

        Assert.Throws<ArgumentException>(() => history.Begin(epoch, 6));
        Assert.Equal(2, new EpochHistory(Dir).Current);
        Assert.Equal(2, history.Entries.Count);
    }
    [Fact]
    public async Task ObserveEpochs_SnapshotOfAMasterWithSeveralEpochs_TheSlaveKeepsEveryOne()
    {
        var masterDir = Directory.CreateTempSubdirectory("journal-tests-master-").FullName;
        try
        {
            var master = Journal.Open(masterDir, "master", Small(1024 * 1024), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
            await using (master)
            {
                _ = master.Replay().ToList();
                for (var i = 1; i <= 60; i++)
                {
                    if (i is 20 or 35 or 50)
                    {
                        await master.BeginEpochAsync();
                    }
                    master.Append(Add($"m{i}"));
                }
                await master.WhenDurable(master.LastSequence);
                var (slave, _) = OpenReplay();
                await using (slave)
                {
                    slave.Append(Add("own"));
                    await slave.ResetAsync(setAsideDirectory: null);

                    slave.ObserveEpochs(master.Epochs.Entries);
                    foreach (var raw in master.ReadRawFrom(0, snapshot: true))
                    {
                        slave.AppendReplicated(raw.Bytes, allowGap: true);
                    }

                    Assert.Equal([(0L, 1L), (1L, 20L), (2L, 35L), (3L, 50L)], slave.Epochs.Entries);
                    Assert.All(Enumerable.Range(1, 60), i => Assert.Equal(master.Epochs.EpochAt(i), slave.Epochs.EpochAt(i)));
                }
            }
        }
        finally
        {
            Directory.Delete(masterDir, recursive: true);
        }
    }
}
