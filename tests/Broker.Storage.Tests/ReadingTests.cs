using Broker.Core.Storage;

namespace Broker.Storage.Tests;

public class ReadingTests : JournalTestBase
{
    [Fact]
    public async Task ReadMessage_DurableAdd_ReturnsTheMessage()
    {
        var (journal, _) = OpenReplay();
        await using (journal)
        {
            journal.Append(Add("a", "first"));
            var ticket = journal.Append(Add("b", "second"));
            await ticket.Durable;

            var message = journal.ReadMessage(ticket.Sequence);

            Assert.Equal("b", message.MessageId);
            Assert.Equal("second", Body(message));
        }
    }

    [Fact]
    public async Task ReadMessage_AddInsideTransaction_ReturnsThatOperationsMessage()
    {
        var (journal, _) = OpenReplay();
        await using (journal)
        {
            var first = journal.Append(Add("before"));
            var tx = journal.Append(new TransactionRecord([Add("t1", "one"), Remove(first.Sequence), Add("t2", "two"), Add("t3", "three")]));
            await tx.Durable;

            Assert.Equal("one", Body(journal.ReadMessage(tx.Sequence)));
            Assert.Equal("two", Body(journal.ReadMessage(tx.Sequence + 2)));
            Assert.Equal("three", Body(journal.ReadMessage(tx.Sequence + 3)));
            Assert.Throws<InvalidOperationException>(() => journal.ReadMessage(first.Sequence));
            Assert.Throws<InvalidOperationException>(() => journal.ReadMessage(tx.Sequence + 1));
        }
    }

    [Fact]
    public async Task ReadMessage_RightAfterAppend_WaitsForTheFlush()
    {
        var (journal, _) = OpenReplay();
        await using (journal)
        {
            for (var i = 0; i < 20; i++)
            {
                var ticket = journal.Append(Add($"m{i}", $"body {i}"));
                var message = await Task.Run(() => journal.ReadMessage(ticket.Sequence)).WaitAsync(TimeSpan.FromSeconds(10));
                Assert.Equal($"body {i}", Body(message));
                Assert.True(journal.DurableSequence >= ticket.Sequence);
            }
        }
    }

    [Fact]
    public async Task ReadMessage_AfterReopen_ReadsFromDisk()
    {
        var (journal, _) = OpenReplay();
        var tx = journal.Append(new TransactionRecord([Add("t1", "one"), Add("t2", "two")]));
        var single = journal.Append(Add("s", "single"));
        await single.Durable;
        await journal.DisposeAsync();

        var (reopened, _) = OpenReplay();
        await using (reopened)
        {
            Assert.Equal("two", Body(reopened.ReadMessage(tx.Sequence + 1)));
            Assert.Equal("single", Body(reopened.ReadMessage(single.Sequence)));
            Assert.Equal(3, reopened.LiveMessageCount);
        }
    }

    [Fact]
    public async Task ReadFrom_Sequence_ReturnsDurableRecordsFromThereOn()
    {
        var (journal, _) = OpenReplay();
        await using (journal)
        {
            var appended = new List<(long, StoreRecord)>();
            for (var i = 0; i < 30; i++)
            {
                StoreRecord record = i % 10 == 9 ? new TransactionRecord([Add($"x{i}"), Add($"y{i}")]) : Add($"m{i}", $"body {i}");
                appended.Add((journal.Append(record).Sequence, record));
            }
            await journal.WhenDurable(journal.LastSequence);

            var all = journal.ReadFrom(1).ToList();
            var tail = journal.ReadFrom(appended[20].Item1).ToList();

            Assert.Equal(appended.Select(a => a.Item1), all.Select(r => r.Sequence));
            Assert.Equal(appended.Select(a => Describe(a.Item2)), all.Select(r => Describe(r.Record)));
            Assert.Equal(appended.Skip(20).Select(a => a.Item1), tail.Select(r => r.Sequence));
            Assert.Empty(journal.ReadFrom(journal.LastSequence + 1));
        }
    }

    [Fact]
    public async Task ReadFrom_AcrossSegments_ReturnsEveryRecordInOrder()
    {
        var (journal, _) = OpenReplay(Small());
        await using (journal)
        {
            var body = new string('r', 3000);
            for (var i = 0; i < 100; i++)
            {
                journal.Append(Add($"m{i}", body));
            }
            await journal.WhenDurable(journal.LastSequence);
            Assert.True(journal.SegmentCount > 3);

            Assert.Equal(Enumerable.Range(1, 100).Select(i => (long)i), journal.ReadFrom(1).Select(r => r.Sequence));
            Assert.Equal(Enumerable.Range(50, 51).Select(i => (long)i), journal.ReadFrom(50).Select(r => r.Sequence));
        }
    }
}
