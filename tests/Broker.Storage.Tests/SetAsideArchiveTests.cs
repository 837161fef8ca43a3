using System.Text;
using Broker.Core.Messages;
using Broker.Core.Storage;

namespace Broker.Storage.Tests;

/// <summary>The set-aside folder as a slave's resync leaves it (<see cref="Journal.ResetAsync"/>), read back.</summary>
public class SetAsideArchiveTests : JournalTestBase
{
    private const long T0 = 1_700_000_000_000;

    private static MessageAddedRecord At(string id, long timestamp, string queue = "q", string? producerId = null, long producerSequence = 0) =>
        new(QueueKey.ForQueue(queue), new Message
        {
            MessageId = id,
            Destination = DestinationName.Queue(queue),
            Body = Encoding.UTF8.GetBytes("body of " + id),
            Persistent = true,
            Timestamp = timestamp,
        }, producerId, producerSequence);

    /// <summary>Appends <paramref name="records"/>, then sets the journal aside as a resync from <paramref name="divergedAt"/> does.</summary>
    private async Task<SetAsideArchive> SetAsideAsync(long divergedAt, JournalOptions? options, params StoreRecord[] records)
    {
        var (journal, _) = OpenReplay(options);
        await using (journal)
        {
            foreach (var record in records)
            {
                journal.Append(record);
            }
            await journal.ResetAsync(Path.Combine(Dir, SetAsideArchive.FolderName, $"20261127-101500-from-{divergedAt}"));
        }
        return Assert.Single(SetAsideArchive.List(Dir));
    }

    [Fact]
    public async Task Summarize_MessagesAddedFromTheDivergence_NotRemoved_Counted()
    {
        var durable = QueueKey.ForDurable("news", "c1", "s1");
        var archive = await SetAsideAsync(3, null,
            At("shared-1", T0), At("shared-2", T0 + 1),                        // 1, 2: both copies have them
            At("a", T0 + 10), At("b", T0 + 20),                                // 3, 4
            new MessageRemovedRecord(QueueKey.ForQueue("q"), 3, RemovalReason.Acknowledged),
            new TransactionRecord([At("c", T0 + 30, "other"), At("d", T0 + 40), new MessageRemovedRecord(QueueKey.ForQueue("q"), 4, RemovalReason.Purged)]),
            new MessageAddedRecord(durable, new Message { MessageId = "n", Destination = DestinationName.Topic("news"), Persistent = true, Timestamp = T0 + 50 }, null, 0),
            new MessageRemovedRecord(QueueKey.ForQueue("q"), 1, RemovalReason.Acknowledged)); // a shared message consumed here: not ours to list

        var summary = archive.Summarize();

        Assert.Equal(3, summary.DivergedAt);
        Assert.Equal(new DateTimeOffset(2026, 11, 27, 10, 15, 0, TimeSpan.Zero), summary.SetAsideAt);
        Assert.Equal(8, summary.Records);
        Assert.Equal(3, summary.Messages);
        Assert.Equal(1, summary.Consumed);
        Assert.Equal(1, summary.Removed);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(T0 + 30), summary.FirstMessageAt);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(T0 + 50), summary.LastMessageAt);
        Assert.Equal(
            [new SetAsideDestination("/queue/other", 1), new SetAsideDestination("/queue/q", 1), new SetAsideDestination("/topic/news (durable c1:s1)", 1)],
            summary.Destinations);
        Assert.Null(summary.Damage);
    }

    [Fact]
    public async Task ReadMessages_TheUnconsumedOnes_InOrder_WithTheirProducer()
    {
        var archive = await SetAsideAsync(2, null,
            At("shared", T0),
            At("p1", T0 + 1, producerId: "P", producerSequence: 7),
            At("gone", T0 + 2),
            new TransactionRecord([At("t1", T0 + 3), At("t2", T0 + 4, producerId: "P", producerSequence: 8)]),
            new MessageRemovedRecord(QueueKey.ForQueue("q"), 3, RemovalReason.Acknowledged));

        var messages = archive.ReadMessages().ToList();

        Assert.Equal(["p1", "t1", "t2"], messages.Select(m => m.Message.MessageId));
        Assert.Equal([2L, 4L, 5L], messages.Select(m => m.Sequence));
        Assert.Equal(("P", 7L), (messages[0].ProducerId, messages[0].ProducerSequence));
        Assert.Equal(("P", 8L), (messages[2].ProducerId, messages[2].ProducerSequence));
        Assert.Equal("body of t1", Encoding.UTF8.GetString(messages[1].Message.Body.Span));
    }

    [Fact]
    public async Task Summarize_DeletedQueueAndRemovedSubscription_TheirMessagesNotListed()
    {
        var durable = QueueKey.ForDurable("news", "c1", "s1");
        var archive = await SetAsideAsync(1, null,
            At("a", T0, "doomed"), At("b", T0, "kept"),
            new MessageAddedRecord(durable, new Message { MessageId = "n", Destination = DestinationName.Topic("news"), Persistent = true }, null, 0),
            new DestinationDeletedRecord(DestinationName.Queue("doomed")),
            new DurableSubscriptionRemovedRecord(durable));

        var summary = archive.Summarize();

        Assert.Equal(1, summary.Messages);
        Assert.Equal(2, summary.Removed);
        Assert.Equal([new SetAsideDestination("/queue/kept", 1)], summary.Destinations);
    }

    [Fact]
    public async Task Summarize_AcrossSegments_EveryMessageCounted()
    {
        var records = Enumerable.Range(1, 60).Select(i => (StoreRecord)new MessageAddedRecord(QueueKey.ForQueue("q"), new Message
        {
            MessageId = $"m{i}",
            Destination = DestinationName.Queue("q"),
            Body = new byte[3000],
            Persistent = true,
            Timestamp = T0 + i,
        }, null, 0)).ToArray();

        var archive = await SetAsideAsync(11, Small(), records);

        Assert.True(Directory.GetFiles(archive.Path, "segment-*.log").Length > 2);
        Assert.Equal(50, archive.Summarize().Messages);
        Assert.Equal(Enumerable.Range(11, 50).Select(i => $"m{i}"), archive.ReadMessages().Select(m => m.Message.MessageId));
    }

    [Fact]
    public async Task Summarize_DamagedRecord_StopsThereAndSaysWhere()
    {
        var archive = await SetAsideAsync(1, null, At("a", T0), At("b", T0 + 1), At("c", T0 + 2));
        var file = Directory.GetFiles(archive.Path, "segment-*.log").Single();
        var second = RecordsIn(file)[1];
        FlipByte(file, second.Offset + second.Length - 1);

        var summary = archive.Summarize();

        Assert.Equal(1, summary.Messages);
        Assert.Contains($"damaged at offset {second.Offset}", summary.Damage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MarkReplayed_MovesItOutOfTheList_AndFindRefusesAnythingButAFolderName()
    {
        var archive = await SetAsideAsync(1, null, At("a", T0));
        Assert.NotNull(SetAsideArchive.Find(Dir, archive.Id));

        var movedTo = archive.MarkReplayed();

        Assert.Empty(SetAsideArchive.List(Dir));
        Assert.Equal(Path.Combine(Dir, SetAsideArchive.FolderName, SetAsideArchive.ReplayedFolderName, archive.Id), movedTo);
        Assert.True(Directory.Exists(movedTo));
        Assert.Null(SetAsideArchive.Find(Dir, archive.Id));
        Assert.Null(SetAsideArchive.Find(Dir, SetAsideArchive.ReplayedFolderName));
        Assert.Null(SetAsideArchive.Find(Dir, ".."));
        Assert.Null(SetAsideArchive.Find(Dir, $"{SetAsideArchive.ReplayedFolderName}/{archive.Id}"));
    }

    [Fact]
    public void List_NoFolder_Empty() => Assert.Empty(SetAsideArchive.List(Dir));
}
