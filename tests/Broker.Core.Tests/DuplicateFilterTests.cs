using Broker.Core.Messages;
using Broker.Core.Storage;

namespace Broker.Core.Tests;

public sealed class DuplicateFilterTests
{
    [Fact]
    public void Window_LowerNumberRetriedAfterAHigherOne_IsNew()
    {
        var window = new ProducerWindow();
        window.Add(1, 10);
        window.Add(3, 12);

        Assert.True(window.Contains(1));
        Assert.False(window.Contains(2));
        Assert.True(window.Contains(3));
        Assert.Equal(3, window.HighWater);
        Assert.Equal(12, window.HighWaterRecord);
        window.Add(2, 13);
        Assert.True(window.Contains(2));
        Assert.Equal(12, window.HighWaterRecord);
    }

    [Fact]
    public void Window_HoleOlderThanTheWindow_CountsAsSeen()
    {
        var window = new ProducerWindow();
        window.Add(1, 1);
        for (var n = 3; n <= ProducerWindow.Size + 10; n++)
        {
            window.Add(n, n);
        }

        Assert.True(window.Contains(2));
        Assert.False(window.Contains(ProducerWindow.Size + 11));
    }

    [Fact]
    public void Window_RemovedNumber_IsNewAgain()
    {
        var window = new ProducerWindow();
        for (var n = 1; n <= 5; n++)
        {
            window.Add(n, n);
        }
        window.Remove(3);

        Assert.False(window.Contains(3));
        Assert.True(window.Contains(2));
        Assert.True(window.Contains(4));
    }

    [Fact]
    public void Window_CompactedMark_CoversEverythingBelow()
    {
        var window = new ProducerWindow(seenThrough: 4);
        window.SeeThrough(9, 100);

        Assert.True(window.Contains(7));
        Assert.False(window.Contains(10));
        Assert.Equal(100, window.HighWaterRecord);
    }

    [Fact]
    public async Task Send_RefusedByTheStore_RetryIsStoredNotDroppedAsADuplicate()
    {
        var store = new ScriptedStore { Refusal = "store full" };
        using var test = StartWith(store);

        Assert.Throws<StoreFullException>(() => { _ = test.Broker.Send(Numbered(test, "a", 1)); });
        store.Refusal = null;
        await test.Broker.Send(Numbered(test, "a", 1));

        Assert.Equal(["a"], test.BrowseBodies("q"));
    }

    [Fact]
    public async Task Send_RefusedThenAHigherNumberAccepted_RetryOfTheLowerIsStored()
    {
        var store = new ScriptedStore { Refusal = "unprotected" };
        using var test = StartWith(store);

        Assert.Throws<StoreFullException>(() => { _ = test.Broker.Send(Numbered(test, "five", 5)); });
        store.Refusal = null;
        await test.Broker.Send(Numbered(test, "six", 6));
        await test.Broker.Send(Numbered(test, "five", 5));
        await test.Broker.Send(Numbered(test, "six again", 6));

        Assert.Equal(["six", "five"], test.BrowseBodies("q"));
    }

    [Fact]
    public async Task Send_WhoseDurabilityFails_RetryIsStored()
    {
        var store = new ScriptedStore();
        using var test = StartWith(store);
        var failing = new TaskCompletionSource();
        store.NextDurable = failing.Task;

        var first = test.Broker.Send(Numbered(test, "lost", 1));
        failing.SetException(new IOException("fsync failed"));
        await Assert.ThrowsAsync<IOException>(() => first);
        await test.Broker.Send(Numbered(test, "retried", 1));

        Assert.Equal(2, store.Appended);
    }

    [Fact]
    public async Task Send_CopyWhileTheOriginalIsBeingStored_FailsWithTheOriginal()
    {
        var filter = new DuplicateFilter(TimeSpan.FromMinutes(1));
        Assert.Null(filter.Admit("p", 1, 0));
        var copy = filter.Admit("p", 1, 0);
        Assert.NotNull(copy);
        Assert.False(copy.IsCompleted);

        filter.Refused("p", 1, new StoreFullException("full"));

        await Assert.ThrowsAsync<StoreFullException>(() => copy);
        Assert.Null(filter.Admit("p", 1, 0));
    }

    [Fact]
    public async Task TransactionCommit_Refused_RetryOfItsSendsIsStored()
    {
        var store = new ScriptedStore { Refusal = "store full" };
        using var test = StartWith(store);
        var transaction = test.Broker.BeginTransaction("tx1");
        transaction.Send(Numbered(test, "in tx", 1));

        Assert.Throws<StoreFullException>(() => { _ = transaction.Commit("admin"); });
        store.Refusal = null;
        await test.Broker.Send(Numbered(test, "in tx", 1));

        Assert.Equal(["in tx"], test.BrowseBodies("q"));
    }

    private static TestBroker StartWith(ScriptedStore store) => new(store: store);

    private static Message Numbered(TestBroker test, string body, long producerSequence) =>
        TestMessages.Create(test.Broker, TestBroker.Q("q"), body, headers:
        [
            new(DuplicateFilter.ProducerIdHeader, "producer-1"),
            new(DuplicateFilter.ProducerSequenceHeader, producerSequence.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ]) with { Persistent = true };

    /// <summary>An in-memory store that refuses appends, or makes the next one fail durability, when told to.</summary>
    private sealed class ScriptedStore : IMessageStore
    {
        private readonly Dictionary<long, Message> _messages = [];

        public string? Refusal { get; set; }

        public Task? NextDurable { get; set; }

        public int Appended { get; private set; }

        public long UsedBytes => 0;

        public long Limit => 0;

        public long LastSequence { get; private set; }

        public StoreTicket Append(StoreRecord record)
        {
            if (Refusal is { } refusal && record is not MessageDeliveredRecord)
            {
                throw new StoreFullException(refusal);
            }
            Appended += record is MessageAddedRecord ? 1 : 0;
            var first = LastSequence + 1;
            LastSequence += record.SequenceCount;
            if (record is MessageAddedRecord added)
            {
                _messages[first] = added.Message;
            }
            var durable = record is MessageAddedRecord && NextDurable is { } next ? next : Task.CompletedTask;
            NextDurable = record is MessageAddedRecord ? null : NextDurable;
            return new StoreTicket(first, durable);
        }

        public Task WhenDurable(long sequence) => Task.CompletedTask;

        public Message ReadMessage(long sequence) => _messages[sequence];

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
