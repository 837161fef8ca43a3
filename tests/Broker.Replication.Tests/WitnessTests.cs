using Broker.Server;
using Broker.Testing;

namespace Broker.Replication.Tests;

/// <summary>One private PostgreSQL server for the witness tests; each test has its own database.</summary>
public sealed class WitnessDatabase : IAsyncLifetime
{
    public PrivatePostgres Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await PrivatePostgres.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();

    public Task<string> NewDatabaseAsync() => Server.CreateDatabaseAsync();
}

/// <summary>
/// A pure pair with a witness (a lease row in a real PostgreSQL): a cut link alone never promotes the slave while the
/// master lives and renews its lease; the slave takes over once the master is gone and its lease free; a master that
/// loses the witness takes no clients until it has it again.
/// </summary>
[Collection("Witness")]
public sealed class WitnessTests(WitnessDatabase witness) : IClassFixture<WitnessDatabase>
{
    [Fact]
    public async Task MasterUnreachableButAlive_SlaveDoesNotPromote_ThenTheMasterStops_SlaveTakesTheLeaseAndPromotes()
    {
        await using var pair = new LifecyclePair(witness: await witness.NewDatabaseAsync());
        await pair.StartAsync();

        var refused = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        pair.Slave.StatusChanged += status =>
        {
            if (status.Reason.Contains("not promoting", StringComparison.Ordinal))
            {
                refused.TrySetResult(status.Reason);
            }
        };

        // The slave can no longer reach its master, which lives on and keeps renewing the witness's lease.
        LifecyclePair.EndpointsOf(pair.Master).Kill();
        var reason = await refused.Task.WaitAsync(LifecyclePair.Timeout);

        Assert.Contains("lease held by m1", reason);
        Assert.Equal(LifecycleRole.Slave, pair.Slave.Status.Role);
        Assert.DoesNotContain(LifecycleState.Promoting, pair.Walk("s1"));
        Assert.Equal(LifecycleRole.Master, pair.Master.Status.Role);

        // The master stops (its host goes away): the lease goes with it, and the slave takes over.
        await pair.Master.DisposeAsync();
        await LifecyclePair.WaitForAsync(pair.Slave, LifecycleState.MasterUnprotected);
        Assert.Contains(LifecycleState.Promoting, pair.Walk("s1"));
    }

    [Fact]
    public async Task WitnessUnreachable_TheMasterDismissesItsClients_AndTakesThemAgainWhenItIsBack()
    {
        await using var pair = new LifecyclePair(witness: await witness.NewDatabaseAsync());
        await pair.StartAsync();
        Assert.Null(pair.Master.Broker.ClientRefusal);

        await witness.Server.StopAsync();
        try
        {
            await LifecyclePair.WaitUntilAsync("the master refuses clients with reconnect:true",
                () => pair.Master.Broker.ClientRefusal is { Reconnect: true });
            Assert.Contains("lost the witness lease", pair.Master.Broker.ClientRefusal!.Reason);
        }
        finally
        {
            await witness.Server.StartAgainAsync();
        }

        await LifecyclePair.WaitUntilAsync("the master takes clients again", () => pair.Master.Broker.ClientRefusal is null);
        Assert.Equal(LifecycleState.MasterProtected, pair.Master.Status.State);
    }
}
