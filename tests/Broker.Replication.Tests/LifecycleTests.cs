using Broker.Core.Events;
using Broker.Server;

namespace Broker.Replication.Tests;

/// <summary>The pair's life in-process: who serves, when a slave takes over, and when it must not.</summary>
public sealed class LifecycleTests
{
    [Fact]
    public async Task Pair_Starts_MasterProtected_SlaveInSync_ThroughNamedStates()
    {
        await using var pair = new LifecyclePair();

        await pair.StartAsync();

        Assert.Equal([LifecycleState.Starting, LifecycleState.Recovering, LifecycleState.MasterUnprotected, LifecycleState.MasterProtected], pair.Walks["m1"]);
        Assert.Equal([LifecycleState.Starting, LifecycleState.Recovering, LifecycleState.WaitingForMaster, LifecycleState.CatchingUp, LifecycleState.InSync], pair.Walks["s1"]);
        Assert.Equal("in sync", pair.Master.Replication.LinkState);
        Assert.Equal(0, pair.Master.Replication.Unreplicated);
    }

    [Fact]
    public async Task LinkCut_WhileTheMasterLives_SlaveReconnectsAndCatchesUp_NeverPromotes()
    {
        await using var pair = new LifecyclePair();
        await pair.StartAsync();

        var before = pair.Walk("s1").Count;
        LifecyclePair.EndpointsOf(pair.Master).DropConnections();
        // The reconnection can be quicker than any poll: read the walk.
        await LifecyclePair.WaitUntilAsync("the slave lost the link and is in sync again",
            () => pair.Walk("s1").Skip(before).Contains(LifecycleState.WaitingForMaster) && pair.Slave.Status.State == LifecycleState.InSync);

        Assert.DoesNotContain(LifecycleState.Promoting, pair.Walks["s1"]);
        await LifecyclePair.WaitForAsync(pair.Master, LifecycleState.MasterProtected);
    }

    [Fact]
    public async Task SlaveStopped_MasterUnprotected_ReasonNamesTheSlaveAndWhy()
    {
        await using var pair = new LifecyclePair();
        await pair.StartAsync();

        await pair.Slave.StopByOperatorAsync();

        await LifecyclePair.WaitForAsync(pair.Master, LifecycleState.MasterUnprotected);
        Assert.StartsWith("slave s1 detached: ", pair.Master.Status.Reason);
    }

    [Fact]
    public async Task MasterProcessGone_SlaveInSync_TakesOverAtANewEpoch()
    {
        await using var pair = new LifecyclePair();
        await pair.StartAsync();
        var epoch = pair.Slave.Epoch;

        LifecyclePair.EndpointsOf(pair.Master).Kill();

        await LifecyclePair.WaitForAsync(pair.Slave, LifecycleState.MasterUnprotected);
        Assert.Equal(epoch + 1, pair.Slave.Epoch);
        Assert.Contains(LifecycleState.Promoting, pair.Walks["s1"]);
        // Everything before the promotion is on the former master too: not "unreplicated", and no lag without a slave.
        Assert.Equal(0, pair.Slave.Replication.Unreplicated);
        Assert.Equal(0, pair.Slave.Replication.LagRecords);
    }

    [Fact]
    public async Task MasterStoppedWithItsHost_SlaveWaits_NotAFailover()
    {
        await using var pair = new LifecyclePair();
        await pair.StartAsync();

        await pair.Master.DisposeAsync();

        await LifecyclePair.WaitUntilAsync("the slave retries its stopped master", () => pair.Slave.Replication.LastError is not null);
        Assert.Equal(LifecycleState.WaitingForMaster, pair.Slave.Status.State);
        Assert.Equal("master unreachable", pair.Slave.Replication.LinkState);
        Assert.DoesNotContain(LifecycleState.Promoting, pair.Walks["s1"]);
        Assert.Contains(pair.Events.Since(null), e => e.Broker == "s1" && e.Detail.Contains("stopped on purpose"));
    }

    [Fact]
    public async Task OperatorStopOfAProtectedMaster_HandsOver_ThenStartRejoinsAsSlave()
    {
        await using var pair = new LifecyclePair();
        await pair.StartAsync();

        await pair.Master.StopByOperatorAsync();

        Assert.Equal(LifecycleState.Stopped, pair.Master.Status.State);
        Assert.True(LifecycleRole.Slave == pair.Master.Role, $"{pair.Master.Status.Reason}; events:\n{pair.EventsText()}");
        await LifecyclePair.WaitForAsync(pair.Slave, LifecycleState.MasterUnprotected);
        await pair.Master.StartByOperatorAsync();
        await LifecyclePair.WaitForAsync(pair.Master, LifecycleState.InSync);
        await LifecyclePair.WaitForAsync(pair.Slave, LifecycleState.MasterProtected);
        Assert.DoesNotContain(LifecycleState.MasterUnprotected, pair.Walks["m1"].SkipWhile(s => s != LifecycleState.Stopped));
    }

    [Fact]
    public async Task StopDuringASwitchover_IsRefusedWithTheReason_NeverInterleaved()
    {
        await using var pair = new LifecyclePair();
        await pair.StartAsync();

        var switchover = pair.Master.SwitchoverByOperatorAsync();
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(pair.Master.StopByOperatorAsync);

        Assert.Contains("busy", refused.Message);
        await switchover;
        await LifecyclePair.WaitForAsync(pair.Slave, LifecycleState.MasterProtected);
        await LifecyclePair.WaitForAsync(pair.Master, LifecycleState.InSync);
    }
}
