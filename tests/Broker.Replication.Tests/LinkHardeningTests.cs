using Broker.Core.Messages;
using Broker.Core.Storage;

namespace Broker.Replication.Tests;

/// <summary>The master's end of the link trusts nobody: small packets before login, the replication role only, and every packet checked against the link's state.</summary>
public sealed class LinkHardeningTests
{
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Hello_FromAnOperatorLogin_IsRefused()
    {
        await using var master = new MasterEndpoint();
        await using var link = await LinkClient.ConnectAsync(master.Port);

        await link.HelloAsync("admin", "admin");

        var refused = LinkProtocol.FromJson<LinkProtocol.Refused>(await link.ExpectAsync(LinkProtocol.PacketType.Refused));
        Assert.Contains("replication role", refused.Reason);
    }

    [Fact]
    public async Task Hello_AnnouncingAHugePacket_ClosesTheConnectionBeforeBufferingIt()
    {
        await using var master = new MasterEndpoint();
        await using var link = await LinkClient.ConnectAsync(master.Port);

        await link.SendRawAsync(LinkClient.Header(LinkProtocol.PacketType.Hello, 100 * 1024 * 1024));
        await link.SendRawAsync(new byte[64 * 1024]);

        Assert.True(await link.WaitForCloseAsync(Quick));
        Assert.Contains(master.Log.Lines, l => l.Contains("no valid Hello") && l.Contains("104857600 bytes"));
    }

    [Fact]
    public async Task Promoting_ToAFarEpoch_ClosesTheLinkAndLeavesTheMasterServing()
    {
        await using var master = new MasterEndpoint();
        await using var link = await LinkClient.InSyncSlaveAsync(master);

        await link.SendAsync(LinkProtocol.PacketType.Promoting, LinkProtocol.Json(new LinkProtocol.Promoting(99, 1)));

        Assert.True(await link.WaitForCloseAsync(Quick));
        Assert.False(master.Master.IsFenced);
        Assert.Contains(master.Log.Lines, l => l.Contains("broke the replication protocol") && l.Contains("epoch 99"));
    }

    [Fact]
    public async Task Promoting_ToTheNextEpochFromTheInSyncSlave_FencesTheMaster()
    {
        await using var master = new MasterEndpoint();
        string? partner = null;
        master.Master.PartnerPromoted += uri => partner = uri;
        await using var link = await LinkClient.InSyncSlaveAsync(master);

        await link.SendAsync(LinkProtocol.PacketType.Promoting, LinkProtocol.Json(new LinkProtocol.Promoting(master.Journal.Epoch + 1, 4242)));

        Assert.True(await link.WaitForCloseAsync(Quick));
        Assert.True(master.Master.IsFenced);
        Assert.EndsWith(":4242", partner);
    }

    [Fact]
    public async Task Promoting_FromASlaveStillCatchingUp_IsRefused()
    {
        await using var master = new MasterEndpoint();
        master.Journal.Append(new DestinationCreatedRecord(DestinationName.Queue("q")));
        await using var link = await LinkClient.ConnectAsync(master.Port);
        await link.HelloAsync("replicator", "replicator");
        await link.ExpectAsync(LinkProtocol.PacketType.CaughtUp);

        await link.SendAsync(LinkProtocol.PacketType.Promoting, LinkProtocol.Json(new LinkProtocol.Promoting(master.Journal.Epoch + 1, 4242)));

        Assert.True(await link.WaitForCloseAsync(Quick));
        Assert.False(master.Master.IsFenced);
    }

    [Fact]
    public async Task Ack_BeyondWhatWasShipped_ClosesTheLinkAndProtectsNothing()
    {
        await using var master = new MasterEndpoint();
        master.Journal.Append(new DestinationCreatedRecord(DestinationName.Queue("q")));
        await using var link = await LinkClient.ConnectAsync(master.Port);
        await link.HelloAsync("replicator", "replicator");
        await link.ExpectAsync(LinkProtocol.PacketType.CaughtUp);

        await link.SendAsync(LinkProtocol.PacketType.Ack, LinkProtocol.Longs(1000, 1000));

        Assert.True(await link.WaitForCloseAsync(Quick));
        Assert.False(master.Master.IsInSync);
        Assert.Equal(0, master.Master.AckedSequence);
        Assert.Contains(master.Log.Lines, l => l.Contains("an ack of sequence 1000"));
    }

    [Fact]
    public async Task TakenOver_WithoutAHandover_ClosesTheLink()
    {
        await using var master = new MasterEndpoint();
        await using var link = await LinkClient.InSyncSlaveAsync(master);

        await link.SendAsync(LinkProtocol.PacketType.TakenOver, LinkProtocol.Json(new LinkProtocol.TakenOver(4242, null)));

        Assert.True(await link.WaitForCloseAsync(Quick));
        Assert.False(master.Master.IsFenced);
    }

    [Fact]
    public async Task UnknownPacket_ClosesTheLink()
    {
        await using var master = new MasterEndpoint();
        await using var link = await LinkClient.InSyncSlaveAsync(master);

        await link.SendAsync((LinkProtocol.PacketType)200, [1, 2, 3]);

        Assert.True(await link.WaitForCloseAsync(Quick));
    }

    [Fact]
    public async Task Handover_AnsweredThenTheSlaveResetsTheLink_TheAnswerCounts()
    {
        await using var master = new MasterEndpoint();
        await using var link = await LinkClient.InSyncSlaveAsync(master);
        var handover = master.Master.HandOverAsync(Quick, CancellationToken.None);
        await link.ExpectAsync(LinkProtocol.PacketType.Handover);

        // A slave takes a while to take over, leaving heart-beats unread; it answers and closes at once: a reset.
        await Task.Delay(TimeSpan.FromMilliseconds(600));
        await link.SendAsync(LinkProtocol.PacketType.TakenOver, LinkProtocol.Json(new LinkProtocol.TakenOver(4242, null)));
        link.Abort();

        Assert.EndsWith(":4242", await handover);
    }

    [Fact]
    public async Task TheSameSlaveReconnecting_ReplacesTheLinkThisSideHadNotSeenDie()
    {
        await using var master = new MasterEndpoint();
        await using var stale = await LinkClient.InSyncSlaveAsync(master);

        // The slave gave up on its link (heart-beats came late) and logs in again before the master noticed.
        await using var again = await LinkClient.ConnectAsync(master.Port);
        await again.HelloAsync("replicator", "replicator");

        await again.ExpectAsync(LinkProtocol.PacketType.Welcome);
        Assert.True(await stale.WaitForCloseAsync(Quick));
        Assert.Contains(master.Log.Lines, l => l.Contains("slave s1 reconnected"));
    }

    [Fact]
    public async Task AStoppedMaster_RefusesASlave()
    {
        await using var master = new MasterEndpoint();
        await master.Master.DisposeAsync();
        await using var link = await LinkClient.ConnectAsync(master.Port);

        await link.HelloAsync("replicator", "replicator");

        var refused = LinkProtocol.FromJson<LinkProtocol.Refused>(await link.ExpectAsync(LinkProtocol.PacketType.Refused));
        Assert.Contains("is stopping", refused.Reason);
    }
}
