using System.Buffers;
using Broker.Core.Messages;
using Broker.Core.Storage;

namespace Broker.Storage.Tests;

/// <summary>
/// A slave's journal at promotion, and a journal read a second time (a broker that served and follows again):
/// the records before a new epoch stay whole, and the next start recovers every one of them.
/// </summary>
public class PromotionTailTests : JournalTestBase
{
    [Fact]
    public async Task Replay_Again_ReadsTheRecordsBack_WithoutASecondWriter_AndTheFileStaysWhole()
    {
        var (journal, _) = OpenReplay();
        var written = 0;
        await using (journal)
        {
            for (var i = 0; i < 50; i++, written++)
            {
                await journal.Append(Add($"a{i}", new string('x', 200))).Durable;
            }

            var again = journal.Replay().ToList();

            Assert.Equal(Enumerable.Range(1, 50).Select(i => (long)i), again.Select(r => r.Sequence));
            Assert.Equal(1, journal.SegmentCount);
            Assert.Equal(SegmentBytesOnDisk(), journal.UsedBytes);
            // Concurrent appends after the second read: with a second flusher, one zeroed what the other wrote.
            await Task.WhenAll(Enumerable.Range(0, 4).Select(t => Task.Run(async () =>
            {
                for (var i = 0; i < 100; i++)
                {
                    await journal.Append(Add($"b{t}-{i}", new string('y', 300))).Durable;
                }
            })));
            written += 400;
        }

        var replayed = await ReopenAndReplay();

        Assert.Equal(Enumerable.Range(1, written).Select(i => (long)i), replayed.Select(r => r.Sequence));
    }

    [Fact]
    public async Task BeginEpoch_AfterAPartialRecordPastTheTail_ZeroesIt_AndTheNextStartRecoversEveryRecord()
    {
        var logger = new ListLogger();
        var journal = Journal.Open(Dir, "b1", Small(1024 * 1024), logger);
        _ = journal.Replay().ToList();
        await using (journal)
        {
            for (var i = 1; i <= 20; i++)
            {
                await journal.Append(Add($"m{i}", $"replicated message {i}")).Durable;
            }
            // Past the tail: a partial record, then a whole one (what a stray second writer left behind).
            var file = SegmentFiles().Single();
            var tail = RecordsIn(file)[^1];
            var torn = Encode(Add("torn", new string('t', 400)), epoch: 0, sequence: 21);
            var stale = Encode(Add("stale", "stale"), epoch: 0, sequence: 22);
            Overwrite(file, tail.Offset + tail.Length, [.. torn.AsSpan(0, torn.Length / 2), .. new byte[torn.Length - (torn.Length / 2)], .. stale]);

            var epoch = await journal.BeginEpochAsync();
            await journal.Append(Add("own", "the promoted broker's own")).Durable;

            Assert.Equal(1, epoch);
        }

        var replayed = await ReopenAndReplay();

        Assert.Equal(Enumerable.Range(1, 21).Select(i => (long)i), replayed.Select(r => r.Sequence));
        Assert.Equal("own", ((MessageAddedRecord)replayed[^1].Record).Message.MessageId);
        Assert.Equal(1, EpochOfRecordAt(SegmentFiles().Single(), RecordsIn(SegmentFiles().Single())[^1].Offset));
        Assert.Contains(logger.Entries, e => e.EventId == 3008 && e.Message.Contains(SegmentFiles().Single()));
    }

    [Fact]
    public async Task BeginEpoch_TheLastRecordDamagedOnDisk_RefusesAndWritesNothing()
    {
        var (journal, _) = OpenReplay();
        await using (journal)
        {
            for (var i = 1; i <= 5; i++)
            {
                await journal.Append(Add($"m{i}")).Durable;
            }
            var file = SegmentFiles().Single();
            var last = RecordsIn(file)[^1];
            FlipByte(file, last.Offset + last.Length - 1);

            var refused = await Assert.ThrowsAsync<JournalCorruptException>(journal.BeginEpochAsync);

            Assert.Contains(file, refused.Message);
            Assert.Contains($"offset {last.Offset}", refused.Message);
            Assert.Equal(0, journal.Epoch);
        }
    }

    [Fact]
    public async Task BeginEpoch_WaitsUntilEveryAppendedRecordIsDurable()
    {
        var (journal, _) = OpenReplay();
        await using (journal)
        {
            var tickets = Enumerable.Range(1, 200).Select(i => journal.Append(Add($"m{i}", new string('p', 500)))).ToList();

            await journal.BeginEpochAsync();

            Assert.All(tickets, t => Assert.True(t.Durable.IsCompletedSuccessfully));
            Assert.Equal(200, journal.DurableSequence);
        }
    }

    private static byte[] Encode(StoreRecord record, long epoch, long sequence)
    {
        var buffer = new ArrayBufferWriter<byte>();
        RecordCodec.Write(buffer, record, epoch, sequence);
        return buffer.WrittenSpan.ToArray();
    }
}
