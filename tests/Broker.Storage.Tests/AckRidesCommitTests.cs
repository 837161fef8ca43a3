using Broker.Core.Storage;

namespace Broker.Storage.Tests;

/// <summary>An acknowledgement (and a delivery mark) rides the next group commit instead of paying a flush of its own.</summary>
public class AckRidesCommitTests : JournalTestBase
{
    private static MessageRemovedRecord Ack(long sequence) => new(QueueKey.ForQueue("q"), sequence, RemovalReason.Acknowledged);

    /// <summary>A replayed journal with the given delay holding one durable message; returns it and the message's sequence.</summary>
    private async Task<(Journal Journal, long Message)> OpenWithOneMessage(TimeSpan ackFlushDelay)
    {
        var (journal, _) = OpenReplay(new JournalOptions { AckFlushDelay = ackFlushDelay });
        var added = journal.Append(Add("m1"));
        await added.Durable;
        return (journal, added.Sequence);
    }

    [Fact]
    public async Task OneProducerOneConsumer_OneFlushPerMessage()
    {
        const int Messages = 200;
        var (journal, _) = OpenReplay(new JournalOptions { AckFlushDelay = TimeSpan.FromSeconds(30) });
        await using (journal)
        {
            var flushesBefore = journal.FlushCount;
            for (var i = 0; i < Messages; i++)
            {
                // The producer waits for its receipt; the consumer's delivery mark and ack follow, not waited for.
                var added = journal.Append(Add($"m{i}"));
                await added.Durable;
                journal.Append(new MessageDeliveredRecord(QueueKey.ForQueue("q"), added.Sequence, 1));
                journal.Append(Ack(added.Sequence));
            }
            await journal.Append(Add("last")).Durable;

            // Before, each ack and delivery mark started a flush of its own: about three per message.
            Assert.Equal(Messages + 1, journal.FlushCount - flushesBefore);
        }
        var replayed = await ReopenAndReplay();
        Assert.Equal(3 * Messages + 1, replayed.Count);
    }

    [Fact]
    public async Task AckAlone_IsFlushedAfterTheDelay()
    {
        var (journal, message) = await OpenWithOneMessage(TimeSpan.FromMilliseconds(200));
        await using (journal)
        {
            var flushesBefore = journal.FlushCount;
            var started = Environment.TickCount64;

            var ack = journal.Append(Ack(message));
            await ack.Durable.WaitAsync(TimeSpan.FromSeconds(10));

            Assert.InRange(Environment.TickCount64 - started, 150, 10_000);
            Assert.Equal(flushesBefore + 1, journal.FlushCount);
        }
    }

    [Fact]
    public async Task WhenDurable_FlushesAnAckAtOnce()
    {
        var (journal, message) = await OpenWithOneMessage(TimeSpan.FromSeconds(30));
        await using (journal)
        {

            var ack = journal.Append(Ack(message));
            Assert.False(ack.Durable.IsCompleted);
            // An ACK with a receipt: it asks for the flush instead of waiting 30 s for the next one.
            await journal.WhenDurable(ack.Sequence).WaitAsync(TimeSpan.FromSeconds(10));

            Assert.True(ack.Durable.IsCompletedSuccessfully);
        }
    }

    [Fact]
    public async Task Purge_DoesNotWait()
    {
        var (journal, message) = await OpenWithOneMessage(TimeSpan.FromSeconds(30));
        await using (journal)
        {

            var purge = journal.Append(new MessageRemovedRecord(QueueKey.ForQueue("q"), message, RemovalReason.Purged));

            await purge.Durable.WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    [Fact]
    public async Task Dispose_FlushesAcksStillWaiting()
    {
        var (journal, message) = await OpenWithOneMessage(TimeSpan.FromSeconds(30));
        var ack = journal.Append(Ack(message));

        await journal.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(ack.Durable.IsCompletedSuccessfully);
        Assert.Equal(2, (await ReopenAndReplay()).Count);
    }
}
