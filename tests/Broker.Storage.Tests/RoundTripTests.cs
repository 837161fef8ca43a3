using System.Text;
using Broker.Core.Messages;
using Broker.Core.Storage;

namespace Broker.Storage.Tests;

public class RoundTripTests : JournalTestBase
{
    [Fact]
    public async Task Replay_EveryRecordType_RoundTripsWithSequences()
    {
        var durable = QueueKey.ForDurable("prices", "client-1", "sub-é");
        var rich = new Message
        {
            MessageId = "id-1",
            Destination = DestinationName.Topic("prices"),
            Headers = [new("content-type", "application/octet-stream"), new("ünïcødé-名前", "値 🚀 Ω"), new("empty", "")],
            Body = new byte[] { 0, 1, 2, 0, 255, 0, 0 },
            Persistent = true,
            Priority = 9,
            Timestamp = 1_700_000_000_123,
            Expires = 1_800_000_000_456,
        };
        var transient = new Message
        {
            MessageId = "id-2",
            Destination = DestinationName.Queue("orders"),
            Persistent = false,
            Priority = 0,
        };
        StoreRecord[] records =
        [
            new DestinationCreatedRecord(DestinationName.Queue("orders")),
            new DestinationCreatedRecord(DestinationName.Topic("prices")),
            new DurableSubscriptionCreatedRecord(durable),
            new MessageAddedRecord(durable, rich, "producer-ä", 42),
            new MessageAddedRecord(QueueKey.ForQueue("orders"), transient, null, 0),
            new MessageDeliveredRecord(durable, 4, 3),
            new MessageRemovedRecord(QueueKey.ForQueue("orders"), 5, RemovalReason.Expired),
            new TransactionRecord(
            [
                Add("tx-1", "first", "orders", "p-tx", 1),
                Add("tx-2", "second", "orders", "p-tx", 2),
                new MessageRemovedRecord(durable, 4, RemovalReason.DeadLettered),
                Add("tx-3", "third", "orders"),
                Remove(9, "orders"),
            ]),
            new ProducerMarkRecord("producer-ä", 43),
            new DurableSubscriptionRemovedRecord(durable),
            new DestinationDeletedRecord(DestinationName.Topic("prices")),
            new MessageRemovedRecord(QueueKey.ForQueue("orders"), 10, RemovalReason.Purged),
            new DurableSubscriptionCreatedRecord(QueueKey.ForDurable("prices", "c2", "s2"), "color = 'red' AND price > 10"),
        ];
        long[] expectedSequences = [1, 2, 3, 4, 5, 6, 7, 8, 13, 14, 15, 16, 17];

        var (journal, empty) = OpenReplay();
        Assert.Empty(empty);
        var tickets = new List<StoreTicket>();
        foreach (var record in records)
        {
            tickets.Add(journal.Append(record));
        }
        await Task.WhenAll(tickets.Select(t => t.Durable));
        Assert.Equal(expectedSequences, tickets.Select(t => t.Sequence));
        Assert.Equal(17, journal.LastSequence);
        await journal.DisposeAsync();

        var (reopened, replayed) = OpenReplay();
        await using (reopened)
        {
            Assert.Equal(expectedSequences, replayed.Select(r => r.Sequence));
            Assert.Equal(records.Select(Describe), replayed.Select(r => Describe(r.Record)));
            Assert.Equal(17, reopened.LastSequence);

            var message = ((MessageAddedRecord)replayed[3].Record).Message;
            Assert.Equal(rich.Body.ToArray(), message.Body.ToArray());
            Assert.Equal("値 🚀 Ω", message.Header("ünïcødé-名前"));
            Assert.Equal(9, message.Priority);
            Assert.Equal(1_800_000_000_456, message.Expires);
            Assert.False(((MessageAddedRecord)replayed[4].Record).Message.Persistent);

            var next = reopened.Append(Add("after"));
            Assert.Equal(18, next.Sequence);
            await next.Durable;
        }
    }

    [Fact]
    public async Task Append_BeforeReplay_Throws()
    {
        await using var journal = Open();
        Assert.Throws<InvalidOperationException>(() => journal.Append(Add("too-early")));
    }

    [Fact]
    public async Task Append_SmallSegments_RollsIntoManySegments()
    {
        var (journal, _) = OpenReplay(Small());
        await using (journal)
        {
            var body = new string('s', 2000);
            var tickets = Enumerable.Range(0, 300).Select(i => journal.Append(Add($"m{i}", body + i))).ToList();
            await Task.WhenAll(tickets.Select(t => t.Durable));

            Assert.Equal(Enumerable.Range(1, 300).Select(i => (long)i), tickets.Select(t => t.Sequence));
            Assert.True(journal.SegmentCount >= 8, $"{journal.SegmentCount} segments");
            Assert.Equal(journal.SegmentCount, SegmentFiles().Length);
            Assert.All(SegmentFiles(), f => Assert.Equal(64 * 1024, new FileInfo(f).Length));
            Assert.Equal("m0 " + body + "0", "m0 " + Body(journal.ReadMessage(1)));
            Assert.Equal(body + "299", Body(journal.ReadMessage(300)));
        }
    }

    [Fact]
    public async Task Replay_RecordsSpanningManySegments_AllComeBackInOrder()
    {
        var body = new string('s', 2000);
        var (journal, _) = OpenReplay(Small());
        var tickets = Enumerable.Range(0, 300).Select(i => journal.Append(Add($"m{i}", body + i))).ToList();
        await Task.WhenAll(tickets.Select(t => t.Durable));
        var segments = journal.SegmentCount;
        await journal.DisposeAsync();
        Assert.True(segments >= 8);

        var (reopened, replayed) = OpenReplay(Small());
        await using (reopened)
        {
            Assert.Equal(segments, reopened.SegmentCount);
            Assert.Equal(Enumerable.Range(1, 300).Select(i => (long)i), replayed.Select(r => r.Sequence));
            Assert.Equal(Enumerable.Range(0, 300).Select(i => body + i), replayed.Select(r => Body(((MessageAddedRecord)r.Record).Message)));
            Assert.Equal(1, reopened.FirstSequence);
            Assert.Equal(301, reopened.Append(Add("next")).Sequence);
        }
    }

    [Fact]
    public async Task Replay_AfterReopen_SequencesStrictlyIncrease()
    {
        var (journal, _) = OpenReplay();
        for (var i = 0; i < 50; i++)
        {
            journal.Append(i % 5 == 4 ? new TransactionRecord([Add($"a{i}"), Add($"b{i}"), Add($"c{i}")]) : Add($"m{i}"));
        }
        await journal.WhenDurable(journal.LastSequence);
        await journal.DisposeAsync();

        var replayed = await ReopenAndReplay();

        Assert.Equal(50, replayed.Count);
        for (var i = 1; i < replayed.Count; i++)
        {
            Assert.Equal(replayed[i - 1].Sequence + replayed[i - 1].Record.SequenceCount, replayed[i].Sequence);
        }
        Assert.Equal(70, replayed[^1].Sequence + replayed[^1].Record.SequenceCount - 1);
        Assert.Equal("m0", ((MessageAddedRecord)replayed[0].Record).Message.MessageId);
        Assert.Equal(Encoding.UTF8.GetBytes("body"), ((MessageAddedRecord)replayed[0].Record).Message.Body.ToArray());
    }
}
