using Broker.Core.Messages;
using Broker.Core.Storage;

namespace Broker.Storage.Tests;

public class CompactionTests : JournalTestBase
{

    private static readonly QueueKey Durable = QueueKey.ForDurable("events", "client", "sub");

    private readonly List<(long Sequence, StoreRecord Record)> _appended = [];

    private long Append(Journal journal, StoreRecord record)
    {
        var sequence = journal.Append(record).Sequence;
        _appended.Add((sequence, record));
        return sequence;
    }

    /// <summary>
    /// Destinations and a durable subscription, 400 sends over several 64 KiB segments, a few deliveries, then
    /// nine in ten sends removed: the sealed segments end up mostly garbage. Returns the live message sequences.
    /// </summary>
    private async Task<(List<long> Live, int SegmentsBefore, long BytesBefore)> FillWithGarbage(Journal journal)
    {
        Append(journal, new DestinationCreatedRecord(DestinationName.Queue("q")));
        Append(journal, new DestinationCreatedRecord(DestinationName.Topic("events")));
        Append(journal, new DurableSubscriptionCreatedRecord(Durable));
        Append(journal, new DestinationCreatedRecord(DestinationName.Queue("short-lived")));
        var body = new string('c', 1000);
        var adds = new List<long>();
        for (var i = 0; i < 400; i++)
        {
            var producer = i % 10 == 0 ? "p-kept" : i < 100 ? "p-early" : "p-gone";
            var record = i % 2 == 0
                ? Add($"m{i}", $"{i}:{body}", "q", producer, i + 1)
                : new MessageAddedRecord(Durable, Msg($"m{i}", $"{i}:{body}", "events"), producer, i + 1);
            adds.Add(Append(journal, record));
            if (i == 100)
            {
                // Deliveries early on, so they sit in a segment that gets sealed and compacted.
                Append(journal, new MessageDeliveredRecord(QueueKey.ForQueue("q"), adds[10], 1));
                Append(journal, new MessageDeliveredRecord(QueueKey.ForQueue("q"), adds[10], 2));
                Append(journal, new MessageDeliveredRecord(QueueKey.ForQueue("q"), adds[3], 1));
            }
        }
        var live = adds.Where((_, i) => i % 10 == 0).ToList();
        Append(journal, new DestinationDeletedRecord(DestinationName.Queue("short-lived")));
        await journal.WhenDurable(journal.LastSequence);
        await journal.WhenDurable(journal.LastSequence);
        var segmentsBefore = journal.SegmentCount;
        var bytesBefore = SegmentBytesOnDisk();

        for (var i = 0; i < adds.Count; i++)
        {
            if (i % 10 != 0)
            {
                Append(journal, i % 2 == 0 ? Remove(adds[i]) : new MessageRemovedRecord(Durable, adds[i], RemovalReason.Acknowledged));
            }
        }
        await journal.WhenDurable(journal.LastSequence);
        return (live, segmentsBefore, bytesBefore);
    }

    /// <summary>
    /// Compacts now; the journal's own once-a-second compactor may have got there first, or be at it (then this
    /// waits for it to finish: a large compaction takes a while on a loaded machine).
    /// </summary>
    private static async Task CompactNow(Journal journal)
    {
        for (var i = 0; i < 300 && !await journal.CompactAsync() && journal.HistoryStart == 1; i++)
        {
            await Task.Delay(100);
        }
        Assert.True(journal.HistoryStart > 1, "compaction did not run");
    }

    [Fact]
    public async Task Compact_MostlyGarbage_ShrinksAndKeepsLiveMessages()
    {
        var (journal, _) = OpenReplay(Small());
        await using (journal)
        {
            var (live, segmentsBefore, bytesBefore) = await FillWithGarbage(journal);
            Assert.True(segmentsBefore >= 6, $"{segmentsBefore} segments");
            var lastBefore = journal.LastSequence;

            await CompactNow(journal);

            Assert.True(journal.SegmentCount < segmentsBefore / 2, $"{journal.SegmentCount} segments");
            Assert.Equal(journal.SegmentCount, SegmentFiles().Length);
            Assert.True(SegmentBytesOnDisk() < bytesBefore / 2, $"{SegmentBytesOnDisk()} of {bytesBefore} bytes");
            Assert.True(journal.UsedBytes < bytesBefore / 2);
            Assert.Empty(Directory.GetFiles(Dir, "*.compact"));
            Assert.InRange(journal.HistoryStart, live[^1] + 1, lastBefore);
            Assert.Equal(lastBefore, journal.LastSequence);
            Assert.Equal(live.Count, journal.LiveMessageCount);
            Assert.Equal(_appended.Where(a => a.Record is MessageAddedRecord && live.Contains(a.Sequence)).Select(a => Body(((MessageAddedRecord)a.Record).Message)),
                live.Select(s => Body(journal.ReadMessage(s))));
            Assert.Throws<InvalidOperationException>(() => journal.ReadMessage(live[0] + 1));

            var next = journal.Append(Add("after-compaction"));
            Assert.Equal(lastBefore + 1, next.Sequence);
            await next.Durable;
        }
    }

    [Fact]
    public async Task Compact_AttemptThatFails_LeavesNoHalfCopy_SoTheNextOneRuns()
    {
        var (journal, _) = OpenReplay(Small());
        await using (journal)
        {
            var (live, _, _) = await FillWithGarbage(journal);
            // The copy a failed attempt would leave, under every name an attempt may use: that attempt fails
            // (the file exists), and must not leave it there for the next one, which would fail the same way.
            foreach (var file in SegmentFiles())
            {
                await File.WriteAllTextAsync(file + ".compact", "left by an attempt that failed");
            }
            var failures = 0;
            for (var i = 0; i < 300 && journal.HistoryStart == 1; i++)
            {
                try
                {
                    if (!await journal.CompactAsync())
                    {
                        await Task.Delay(100);
                    }
                }
                catch (IOException)
                {
                    failures++;
                }
            }

            Assert.True(journal.HistoryStart > 1, $"compaction never ran ({failures} attempts failed)");
            Assert.Equal(live.Count, journal.LiveMessageCount);
        }
    }

    [Fact]
    public async Task Compact_ManyLiveMessages_CopiesThemWithoutHoldingThemInMemory()
    {
        // 3,000 × 4 KiB sends, two in three removed: 4 MiB or more live to copy (whoever compacts, this call or the
        // journal's own compactor part-way through the removals). Compaction once read every live message into
        // memory and built the whole new segment in one buffer, over a GiB after a million-message drain.
        var (journal, _) = OpenReplay(Small(1024 * 1024));
        await using (journal)
        {
            var body = new string('b', 4096);
            var adds = new List<long>();
            for (var i = 0; i < 3000; i++)
            {
                adds.Add(journal.Append(Add($"m{i}", $"{i}:{body}")).Sequence);
            }
            await journal.WhenDurable(journal.LastSequence);
            for (var i = 0; i < adds.Count; i++)
            {
                if (i % 3 != 0)
                {
                    journal.Append(Remove(adds[i]));
                }
            }
            await journal.WhenDurable(journal.LastSequence);

            await CompactNow(journal);

            Assert.True(journal.LastCompactionAllocated < 1024 * 1024, $"compaction allocated {journal.LastCompactionAllocated} bytes");
            Assert.Equal(1000, journal.LiveMessageCount);
            Assert.Equal($"2997:{body}", Body(journal.ReadMessage(adds[2997])));
            Assert.Equal($"0:{body}", Body(journal.ReadMessage(adds[0])));
        }
    }

    [Fact]
    public async Task ReadFrom_BelowHistoryStart_ThrowsSnapshotRequired()
    {
        var (journal, _) = OpenReplay(Small());
        await using (journal)
        {
            await FillWithGarbage(journal);
            await CompactNow(journal);
            var historyStart = journal.HistoryStart;

            Assert.Throws<SnapshotRequiredException>(() => journal.ReadFrom(1).ToList());
            var e = Assert.Throws<SnapshotRequiredException>(() => journal.ReadFrom(historyStart - 1).ToList());
            Assert.Contains(historyStart.ToString(), e.Message);

            var tail = journal.ReadFrom(historyStart).ToList();
            Assert.Equal(historyStart, tail[0].Sequence);
            Assert.Equal(_appended.Where(a => a.Sequence >= historyStart).Select(a => (a.Sequence, Describe(a.Record))),
                tail.Select(r => (r.Sequence, Describe(r.Record))));
        }
    }

    [Fact]
    public async Task Compact_ThenReopen_ReplaysLiveStateWithOriginalSequences()
    {
        var (journal, _) = OpenReplay(Small());
        long historyStart;
        int segments;
        await using (journal)
        {
            await FillWithGarbage(journal);
            await CompactNow(journal);
            historyStart = journal.HistoryStart;
            segments = journal.SegmentCount;
        }

        var (reopened, replayed) = OpenReplay(Small());
        await using (reopened)
        {
            AssertStrictlyIncreasing(replayed);
            LiveState.Of(_appended).AssertEqual(LiveState.Of(replayed));
            var state = LiveState.Of(replayed);
            Assert.Equal(100, state.ProducerMarks["p-early"]);
            Assert.Contains(replayed, r => r.Record is ProducerMarkRecord { ProducerId: "p-early", ProducerSequence: 100 });
            Assert.DoesNotContain(replayed, r => r.Record is MessageAddedRecord { ProducerId: "p-early" });
            Assert.Equal(2, state.DeliveryCounts.Values.Single());
            Assert.Contains(replayed, r => r.Record is MessageDeliveredRecord { DeliveryCount: 2 });
            Assert.Equal(["/queue/q", "/topic/events"], state.Destinations);
            Assert.Equal([Durable.Queue], state.Subscriptions);
            Assert.Equal(segments, reopened.SegmentCount);
            Assert.Equal(_appended[^1].Sequence, reopened.LastSequence);
            Assert.Equal(_appended.Where(a => a.Sequence >= historyStart).Select(a => a.Sequence), replayed.Where(r => r.Sequence >= historyStart).Select(r => r.Sequence));
            foreach (var sequence in state.Messages.Keys)
            {
                Assert.Equal(state.Messages[sequence].Split(' ')[2], Body(reopened.ReadMessage(sequence)));
            }
        }
    }

    [Fact]
    public async Task Compact_CommittedTransactionWhoseMessageIsGone_KeepsItsIdentity()
    {
        var (journal, _) = OpenReplay(Small());
        long committedAt;
        await using (journal)
        {
            var first = Append(journal, new TransactionRecord([Add("tx-msg", "in a transaction"), new TransactionCommittedRecord("alice", "tx-1", 1_700_000_000_000)]));
            committedAt = first + 1;
            Append(journal, Remove(first));
            await FillWithGarbage(journal);
            await CompactNow(journal);
            Assert.True(journal.HistoryStart > committedAt, $"history starts at {journal.HistoryStart}: the commit was not compacted");
        }

        var (reopened, replayed) = OpenReplay(Small());
        await using (reopened)
        {
            var kept = Assert.Single(replayed, r => r.Record is TransactionCommittedRecord);
            Assert.Equal(committedAt, kept.Sequence);
            Assert.Equal(new TransactionCommittedRecord("alice", "tx-1", 1_700_000_000_000), kept.Record);
            Assert.DoesNotContain(replayed, r => r.Record is MessageAddedRecord { Message.MessageId: "tx-msg" });
        }
    }

    [Fact]
    public async Task Compact_ThenReopen_HistoryStartStays()
    {
        var (journal, _) = OpenReplay(Small());
        long historyStart;
        await using (journal)
        {
            var body = new string('h', 1000);
            var adds = Enumerable.Range(0, 400).Select(i => Append(journal, Add($"m{i}", body))).ToList();
            foreach (var sequence in adds.Skip(10))
            {
                Append(journal, Remove(sequence));
            }
            await journal.WhenDurable(journal.LastSequence);
            await CompactNow(journal);
            historyStart = journal.HistoryStart;
            Assert.True(historyStart > 100);
        }

        var (reopened, replayed) = OpenReplay(Small());
        await using (reopened)
        {
            Assert.Equal(historyStart, reopened.HistoryStart);
            Assert.Throws<SnapshotRequiredException>(() => reopened.ReadFrom(historyStart - 1).ToList());
            Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), replayed.Take(10).Select(r => r.Sequence));
        }
    }

    [Fact]
    public async Task Compact_DeliveryAfterSealing_IsNotDuplicated()
    {
        var (journal, _) = OpenReplay(Small());
        await using (journal)
        {
            var (live, _, _) = await FillWithGarbage(journal);
            Append(journal, new MessageDeliveredRecord(QueueKey.ForQueue("q"), live[2], 1));
            await journal.WhenDurable(journal.LastSequence);
            await CompactNow(journal);
        }

        var (reopened, replayed) = OpenReplay(Small());
        await using (reopened)
        {
            AssertStrictlyIncreasing(replayed);
            LiveState.Of(_appended).AssertEqual(LiveState.Of(replayed));
        }
    }

    [Fact]
    public async Task Replay_LeftoverCoveredSegment_IsDeletedAndChangesNothing()
    {
        var (journal, _) = OpenReplay(Small());
        var backup = Directory.CreateTempSubdirectory("journal-backup-").FullName;
        try
        {
            await using (journal)
            {
                await FillWithGarbage(journal);
                foreach (var file in SegmentFiles())
                {
                    File.Copy(file, Path.Combine(backup, Path.GetFileName(file)));
                }
                await CompactNow(journal);
            }
            var compacted = SegmentFiles();
            var expected = (await ReopenAndReplay(Small())).Select(r => (r.Sequence, Describe(r.Record))).ToList();
            var firstKept = Path.GetFileName(compacted[0]);
            var restored = Directory.GetFiles(backup).Where(f => string.CompareOrdinal(Path.GetFileName(f), firstKept) < 0).ToList();
            Assert.NotEmpty(restored);
            foreach (var file in restored)
            {
                File.Copy(file, Path.Combine(Dir, Path.GetFileName(file)));
            }
            File.Copy(Path.Combine(backup, firstKept), compacted[0] + ".compact");

            var replayed = await ReopenAndReplay(Small());

            Assert.Equal(expected, replayed.Select(r => (r.Sequence, Describe(r.Record))));
            Assert.Equal(compacted, SegmentFiles());
            Assert.Empty(Directory.GetFiles(Dir, "*.compact"));
            LiveState.Of(_appended).AssertEqual(LiveState.Of(replayed));
        }
        finally
        {
            Directory.Delete(backup, recursive: true);
        }
    }

    [Fact]
    public async Task Compact_WhileAppending_IndexKeepsEveryLiveMessage()
    {
        var (journal, _) = OpenReplay(Small());
        await using (journal)
        {
            var expected = await CompactWhileAppending(journal);

            Assert.True(journal.HistoryStart > 1, "no compaction ran");
            Assert.Equal(expected.Messages.Count, journal.LiveMessageCount);
            foreach (var (sequence, description) in expected.Messages)
            {
                Assert.Equal(description.Split(' ')[2], Body(journal.ReadMessage(sequence)));
            }
        }
    }

    [Fact]
    public async Task Compact_WhileAppending_ReopenLosesNothingAndResurrectsNothing()
    {
        var (journal, _) = OpenReplay(Small());
        LiveState expected;
        await using (journal)
        {
            expected = await CompactWhileAppending(journal);
        }

        var (reopened, replayed) = OpenReplay(Small());
        await using (reopened)
        {
            AssertStrictlyIncreasing(replayed);
            expected.AssertEqual(LiveState.Of(replayed));
            Assert.Equal(expected.Messages.Count, reopened.LiveMessageCount);
        }
    }

    [Fact]
    public async Task CompactAsync_TwoAtOnce_OneCompactsAndTheOtherStandsDown()
    {
        var (journal, _) = OpenReplay(Small());
        await using (journal)
        {
            await FillWithGarbage(journal);
            journal.Append(Remove(1));
            var first = journal.CompactAsync();
            var second = journal.CompactAsync();

            var results = await Task.WhenAll(first, second);

            Assert.Single(results, r => r);
            Assert.Equal(SegmentFiles().Length, journal.SegmentCount);
            await journal.Append(Add("after")).Durable;
            Assert.Equal(journal.LastSequence, journal.ReadFrom(journal.HistoryStart).Last().Sequence);
        }
    }

    /// <summary>
    /// Sends and acks (with a delivery now and then) while the journal's own once-a-second compactor runs
    /// beside the appends, until it has compacted at least twice. (Explicit CompactAsync calls here would race
    /// that compactor: see CompactAsync_TwoAtOnce_OneCompactsAndTheOtherStandsDown.)
    /// </summary>
    private async Task<LiveState> CompactWhileAppending(Journal journal)
    {
        Append(journal, new DestinationCreatedRecord(DestinationName.Queue("q")));
        var random = new Random(7);
        var body = new string('w', 700);
        var live = new List<long>();
        var historyStarts = new HashSet<long> { journal.HistoryStart };
        // Bounded by time, not count: the compactor ticks once a second however fast the machine appends.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        for (var i = 0; DateTime.UtcNow < deadline && (historyStarts.Count < 3 || i < 1000); i++)
        {
            live.Add(Append(journal, Add($"m{i}", $"{i}:{body}", "q", "p" + (i % 3), i + 1)));
            if (live.Count > 20 && random.Next(10) < 9)
            {
                var index = random.Next(live.Count - 5);
                Append(journal, Remove(live[index]));
                live.RemoveAt(index);
            }
            if (i % 50 == 0)
            {
                Append(journal, new MessageDeliveredRecord(QueueKey.ForQueue("q"), live[0], i / 50));
            }
            if (i % 10 == 0)
            {
                await journal.WhenDurable(journal.LastSequence);
                historyStarts.Add(journal.HistoryStart);
            }
        }
        await journal.WhenDurable(journal.LastSequence);
        Assert.True(historyStarts.Count >= 3, $"compacted {historyStarts.Count - 1} times");
        return LiveState.Of(_appended);
    }

    private static void AssertStrictlyIncreasing(List<(long Sequence, StoreRecord Record)> records)
    {
        for (var i = 1; i < records.Count; i++)
        {
            Assert.True(records[i].Sequence > records[i - 1].Sequence, $"sequence {records[i].Sequence} after {records[i - 1].Sequence}");
        }
    }
}
