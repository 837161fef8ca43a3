using Broker.Core;
using Broker.Core.Messages;
using Broker.Core.Storage;

namespace Broker.Replication.Tests;

/// <summary>
/// What happens to a persistent send waiting for its slave when the slave falls silent: with <c>Continue</c> it is
/// confirmed on the master's disk alone; with <c>RefusePersistent</c> it is never confirmed unreplicated.
/// </summary>
public sealed class UnprotectedPolicyTests
{
    [Fact]
    public async Task RefusePersistent_SlaveSilentWhileASendWaits_TheSendFails_NotConfirmedUnreplicated()
    {
        var (master, link, store) = await PairWithASilentSlaveAsync(UnprotectedPolicy.RefusePersistent);
        await using var _ = master;
        await using var __ = link;

        var send = store.Append(Added("m1")).Durable;

        var refused = await Assert.ThrowsAsync<BrokerException>(() => send.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Contains("not replicated: slave s1 detached (no acknowledgement within ReplicationAckTimeout", refused.Message);
        // What only this disk holds stays refused from now on.
        Assert.ThrowsAny<BrokerException>(() => store.Append(Added("m2")));
    }

    [Fact]
    public async Task RefusePersistent_SlaveSilentWhileAnAckWaits_TheAckIsConfirmed()
    {
        var (master, link, store) = await PairWithASilentSlaveAsync(UnprotectedPolicy.RefusePersistent);
        await using var _ = master;
        await using var __ = link;

        var ack = store.Append(new MessageRemovedRecord(QueueKey.ForQueue("q"), 1, RemovalReason.Acknowledged)).Durable;

        await ack.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Continue_SlaveSilentWhileASendWaits_TheSendIsConfirmedOnTheMastersDisk()
    {
        var (master, link, store) = await PairWithASilentSlaveAsync(UnprotectedPolicy.Continue);
        await using var _ = master;
        await using var __ = link;

        var send = store.Append(Added("m1")).Durable;

        await send.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False(master.Master.IsInSync);
    }

    /// <summary>A master with an in-sync, hand-driven slave that acknowledges nothing from now on.</summary>
    private static async Task<(MasterEndpoint Master, LinkClient Link, ReplicatedStore Store)> PairWithASilentSlaveAsync(UnprotectedPolicy policy)
    {
        var options = new ReplicationOptions { WhenUnprotected = policy, ReplicationAckTimeout = TimeSpan.FromMilliseconds(300) };
        var master = new MasterEndpoint(options);
        var link = await LinkClient.InSyncSlaveAsync(master);
        return (master, link, new ReplicatedStore(master.Journal, master.Master, options));
    }

    private static MessageAddedRecord Added(string id) =>
        new(QueueKey.ForQueue("q"), new Message { MessageId = id, Destination = DestinationName.Queue("q"), Persistent = true, Body = "x"u8.ToArray() }, null, 0);
}
