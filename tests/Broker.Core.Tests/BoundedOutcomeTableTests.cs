using Broker.Core.Transactions;

namespace Broker.Core.Tests;

public class BoundedOutcomeTableTests
{
    [Fact]
    public void Set_PastTheCapacity_ForgetsTheOldestFirst()
    {
        var table = new BoundedOutcomeTable<int>(capacity: 3);

        for (var i = 1; i <= 5; i++)
        {
            table.Set("u", $"tx-{i}", i);
        }

        Assert.Equal(3, table.Count);
        Assert.Equal([3, 4, 5], table.Values);
        Assert.False(table.TryGet("u", "tx-2", out _));
        Assert.True(table.TryGet("u", "tx-3", out var value) && value == 3);
    }

    [Fact]
    public void Set_AnIdAgain_ReplacesItsValue_KeepsItsPlace_DoesNotCountTwice()
    {
        var table = new BoundedOutcomeTable<string>(capacity: 3);
        table.Set("u", "a", "first");
        table.Set("u", "b", "b");

        table.Set("u", "a", "again");
        table.Set("u", "c", "c");

        Assert.Equal(["again", "b", "c"], table.Values);
        table.Set("u", "d", "d");
        Assert.Equal(["b", "c", "d"], table.Values);
    }

    [Fact]
    public void Keys_AreUserAndId_TheSameIdOfAnotherUserIsAnotherEntry()
    {
        var table = new BoundedOutcomeTable<bool>();

        table.Set("alice", "tx", true);
        table.Set("bob", "tx", false);

        Assert.Equal(2, table.Count);
        Assert.True(table.TryGet("alice", "tx", out var alice) && alice);
        Assert.True(table.TryGet("bob", "tx", out var bob) && !bob);
        Assert.Equal(BoundedOutcomeTable.DefaultCapacity, table.Capacity);
    }

    [Fact]
    public void ForgetOldestWhile_StopsAtTheFirstKept()
    {
        var table = new BoundedOutcomeTable<long>();
        table.Set("u", "old", 1);
        table.Set("u", "newer", 5);
        table.Set("u", "oldAfterNewer", 2);

        table.ForgetOldestWhile(at => at < 3);

        Assert.Equal([5, 2], table.Values);
        table.Clear();
        Assert.Equal(0, table.Count);
        Assert.Empty(table.Values);
    }
}
