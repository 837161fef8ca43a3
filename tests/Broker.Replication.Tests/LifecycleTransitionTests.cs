using Broker.Server;

namespace Broker.Replication.Tests;

public sealed class LifecycleTransitionTests
{
    public static TheoryData<LifecycleState, LifecycleState> AllPairs()
    {
        var data = new TheoryData<LifecycleState, LifecycleState>();
        foreach (var from in Enum.GetValues<LifecycleState>())
        {
            foreach (var to in Enum.GetValues<LifecycleState>())
            {
                data.Add(from, to);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(AllPairs))]
    public void MoveTo_OnlyTheTablesTransitionsPass_EveryOtherThrows(LifecycleState from, LifecycleState to)
    {
        var machine = MachineAt(from);

        if (from == to || LifecycleTransitions.IsLegal(from, to))
        {
            machine.MoveTo(to, "test");
            Assert.Equal(to, machine.State);
        }
        else
        {
            Assert.Throws<IllegalTransitionException>(() => machine.MoveTo(to, "test"));
            Assert.Equal(from, machine.State);
        }
    }

    [Fact]
    public void Table_NoSlaveStateLeadsStraightToServing_OnlyThroughPromoting()
    {
        foreach (var slaveState in new[] { LifecycleState.WaitingForMaster, LifecycleState.CatchingUp, LifecycleState.InSync })
        {
            Assert.DoesNotContain(LifecycleTransitions.From(slaveState), to => LifecycleTransitions.RoleOf(to) == LifecycleRole.Master);
        }
        // A master never becomes a slave without being fenced first (its clients dismissed).
        foreach (var masterState in Enum.GetValues<LifecycleState>().Where(s => LifecycleTransitions.RoleOf(s) == LifecycleRole.Master))
        {
            Assert.DoesNotContain(LifecycleTransitions.From(masterState), to => to is LifecycleState.WaitingForMaster or LifecycleState.CatchingUp or LifecycleState.InSync);
        }
    }

    [Fact]
    public void Names_AreDistinct_AndEveryStateIsReachableFromStarting()
    {
        var states = Enum.GetValues<LifecycleState>();
        Assert.Equal(states.Length, states.Select(LifecycleTransitions.Name).Distinct().Count());
        var reached = new HashSet<LifecycleState> { LifecycleState.Starting };
        var frontier = new Queue<LifecycleState>(reached);
        while (frontier.TryDequeue(out var state))
        {
            foreach (var next in LifecycleTransitions.From(state).Where(reached.Add))
            {
                frontier.Enqueue(next);
            }
        }
        Assert.Equal(states.Order(), reached.Order());
    }

    [Fact]
    public void MoveTo_LogsEveryTransitionWithItsReason_AndTryMoveChecksTheSource()
    {
        var lines = new List<string>();
        var machine = new LifecycleStateMachine("b1", (name, before, after) => lines.Add($"{name}: {before.Name} -> {after.Name} ({after.Reason})"));

        machine.MoveTo(LifecycleState.Recovering, "opening data");
        Assert.False(machine.TryMove([LifecycleState.InSync], LifecycleState.Promoting, "not from here"));
        Assert.True(machine.TryMove([LifecycleState.Recovering], LifecycleState.WaitingForMaster, "configured as slave"));

        Assert.Equal(["b1: starting -> recovering (opening data)", "b1: recovering -> waiting for master (configured as slave)"], lines);
        Assert.Equal(LifecycleRole.Slave, machine.Status.Role);
    }

    /// <summary>A machine walked along legal transitions to <paramref name="target"/>.</summary>
    private static LifecycleStateMachine MachineAt(LifecycleState target)
    {
        var machine = new LifecycleStateMachine("b1", (_, _, _) => { });
        var path = PathTo(target);
        foreach (var step in path)
        {
            machine.MoveTo(step, "walk");
        }
        Assert.Equal(target, machine.State);
        return machine;
    }

    private static List<LifecycleState> PathTo(LifecycleState target)
    {
        var previous = new Dictionary<LifecycleState, LifecycleState>();
        var frontier = new Queue<LifecycleState>([LifecycleState.Starting]);
        while (frontier.TryDequeue(out var state) && state != target)
        {
            foreach (var next in LifecycleTransitions.From(state).Where(n => n != LifecycleState.Starting && previous.TryAdd(n, state)))
            {
                frontier.Enqueue(next);
            }
        }
        var path = new List<LifecycleState>();
        for (var at = target; at != LifecycleState.Starting; at = previous[at])
        {
            path.Insert(0, at);
        }
        return path;
    }
}
