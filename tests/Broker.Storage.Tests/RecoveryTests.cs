using Broker.Core.Storage;

namespace Broker.Storage.Tests;

public class RecoveryTests : JournalTestBase
{
    public enum Damage
    {
        FlipPayloadBytes,
        ZeroSecondHalf,
        FlipLengthField,
    }

    private async Task<List<StoreTicket>> WriteRecords(int count, JournalOptions? options = null)
    {
        var (journal, _) = OpenReplay(options);
        var tickets = Enumerable.Range(0, count).Select(i => journal.Append(Add($"m{i}", $"message number {i} with some payload"))).ToList();
        await Task.WhenAll(tickets.Select(t => t.Durable));
        await journal.DisposeAsync();
        return tickets;
    }

    private static void DamageRecord(string path, (long Offset, int Length, long Sequence) record, Damage damage)
    {
        switch (damage)
        {
            case Damage.FlipPayloadBytes:
                FlipByte(path, record.Offset + RecordCodec.HeaderSize + 3);
                FlipByte(path, record.Offset + record.Length - 1);
                break;
            case Damage.ZeroSecondHalf:
                Overwrite(path, record.Offset + (record.Length / 2), new byte[record.Length - (record.Length / 2)]);
                break;
            case Damage.FlipLengthField:
                FlipByte(path, record.Offset);
                break;
        }
    }

    [Theory]
    [InlineData(Damage.FlipPayloadBytes)]
    [InlineData(Damage.ZeroSecondHalf)]
    [InlineData(Damage.FlipLengthField)]
    public async Task Replay_TornTail_CutOffAndLogged(Damage damage)
    {
        await WriteRecords(20);
        var file = SegmentFiles().Single();
        var last = RecordsIn(file)[^1];
        Assert.Equal(20, last.Sequence);
        DamageRecord(file, last, damage);

        var logger = new ListLogger();
        var journal = Journal.Open(Dir, "b1", Small(1024 * 1024), logger);
        var replayed = journal.Replay().ToList();
        await using (journal)
        {
            Assert.Equal(Enumerable.Range(1, 19).Select(i => (long)i), replayed.Select(r => r.Sequence));
            Assert.Equal("message number 18 with some payload", Body(((MessageAddedRecord)replayed[^1].Record).Message));
            var torn = Assert.Single(logger.Entries, e => e.EventId == 3001);
            Assert.Contains(file, torn.Message);
            Assert.Contains(last.Offset.ToString(), torn.Message);
            Assert.Equal(0, journal.DamagedRecordsSkipped);
            Assert.Equal(19, journal.LastSequence);

            var next = journal.Append(Add("after-torn", "new tail"));
            Assert.Equal(20, next.Sequence);
            await next.Durable;
            journal.Append(Add("after-torn-2", "newer tail"));
            await journal.WhenDurable(21);
        }

        var again = await ReopenAndReplay();
        Assert.Equal(Enumerable.Range(1, 21).Select(i => (long)i), again.Select(r => r.Sequence));
        Assert.Equal("new tail", Body(((MessageAddedRecord)again[19].Record).Message));
        Assert.Equal("newer tail", Body(((MessageAddedRecord)again[20].Record).Message));
    }

    [Fact]
    public async Task Replay_TailNeverWritten_ReplaysEverythingWithoutComplaint()
    {
        await WriteRecords(5);
        var logger = new ListLogger();
        var journal = Journal.Open(Dir, "b1", Small(1024 * 1024), logger);
        var replayed = journal.Replay().ToList();
        await journal.DisposeAsync();

        Assert.Equal(5, replayed.Count);
        Assert.DoesNotContain(logger.Entries, e => e.EventId is 3001 or 3002);
    }

    [Theory]
    [InlineData(Damage.FlipPayloadBytes)]
    [InlineData(Damage.FlipLengthField)]
    public async Task Replay_BadChecksumBeforeValidRecords_ThrowsNamingFileAndOffset(Damage damage)
    {
        await WriteRecords(20);
        var file = SegmentFiles().Single();
        var fifth = RecordsIn(file)[4];
        Assert.Equal(5, fifth.Sequence);
        DamageRecord(file, fifth, damage);

        var e = Assert.Throws<JournalCorruptException>(() => OpenReplay());

        Assert.Contains(file, e.Message);
        Assert.Contains($"offset {fifth.Offset}", e.Message);
        var (retry, _) = OpenReplay(Small(1024 * 1024) with { SkipDamagedRecords = true });
        await retry.DisposeAsync();
    }

    [Theory]
    [InlineData(Damage.FlipPayloadBytes)]
    [InlineData(Damage.FlipLengthField)]
    public async Task Replay_BadChecksumWithSkipDamagedRecords_SkipsOnlyThatRecord(Damage damage)
    {
        await WriteRecords(20);
        var file = SegmentFiles().Single();
        DamageRecord(file, RecordsIn(file)[4], damage);
        var options = Small(1024 * 1024) with { SkipDamagedRecords = true };
        var logger = new ListLogger();

        var journal = Journal.Open(Dir, "b1", options, logger);
        var replayed = journal.Replay().ToList();
        await using (journal)
        {
            Assert.Equal(1, journal.DamagedRecordsSkipped);
            Assert.Equal(Enumerable.Range(1, 20).Where(i => i != 5).Select(i => (long)i), replayed.Select(r => r.Sequence));
            Assert.Equal("message number 19 with some payload", Body(((MessageAddedRecord)replayed[^1].Record).Message));
            Assert.Single(logger.Entries, e => e.EventId == 3002);
            Assert.Equal(21, journal.Append(Add("after")).Sequence);
            await journal.WhenDurable(21);
        }
    }

    [Fact]
    public async Task Replay_BadChecksumInSealedSegment_ThrowsNamingThatFile()
    {
        var tickets = await WriteRecords(2000, Small());
        var files = SegmentFiles();
        Assert.True(files.Length > 2);
        var victim = RecordsIn(files[0])[10];
        DamageRecord(files[0], victim, Damage.FlipPayloadBytes);

        var e = Assert.Throws<JournalCorruptException>(() => OpenReplay(Small()));
        Assert.Contains(files[0], e.Message);
        Assert.Contains($"offset {victim.Offset}", e.Message);

        var (journal, replayed) = OpenReplay(Small() with { SkipDamagedRecords = true });
        await using (journal)
        {
            Assert.Equal(1, journal.DamagedRecordsSkipped);
            Assert.Equal(tickets.Count - 1, replayed.Count);
            Assert.DoesNotContain(replayed, r => r.Sequence == victim.Sequence);
        }
    }

    [Fact]
    public async Task Replay_LeftoverCompactFile_IsDeletedAndChangesNothing()
    {
        await WriteRecords(10);
        var segment = SegmentFiles().Single();
        var before = (await ReopenAndReplay()).Select(r => (r.Sequence, Describe(r.Record))).ToList();
        var leftover = segment + ".compact";
        File.Copy(segment, leftover);
        FlipByte(leftover, 40);

        var after = await ReopenAndReplay();

        Assert.False(File.Exists(leftover));
        Assert.Equal(before, after.Select(r => (r.Sequence, Describe(r.Record))));
        Assert.Equal([segment], SegmentFiles());
    }
}
