namespace Broker.Server;

/// <summary>
/// Where a broker stands in its life, whichever way it becomes master. Every change goes through
/// <see cref="LifecycleTransitions"/>, which knows the legal ones; the log, the API, the hub, the console and
/// readiness all read this one value.
/// </summary>
public enum LifecycleState
{
    /// <summary>Created, nothing opened yet.</summary>
    Starting,

    /// <summary>Opening the store and folding what it holds.</summary>
    Recovering,

    /// <summary>A slave trying to reach its master (or reconnecting after the link was lost while the master lives).</summary>
    WaitingForMaster,

    /// <summary>A shared-store broker waiting for the store's lock, which another broker holds (its reason names the holder).</summary>
    WaitingForLock,

    /// <summary>A slave receiving what it lacks; it would lose messages if promoted now.</summary>
    CatchingUp,

    /// <summary>A slave holding everything its master acknowledged.</summary>
    InSync,

    /// <summary>A slave taking over: new epoch, its state handed to the broker, connectors opening.</summary>
    Promoting,

    /// <summary>A master whose listeners are open for its slave while clients are told to wait (<c>WaitForSlave</c>).</summary>
    WaitingForSlave,

    /// <summary>A master serving with no slave in sync: what it acknowledges lives in one place.</summary>
    MasterUnprotected,

    /// <summary>A master serving with its slave in sync: what it acknowledges lives in two places.</summary>
    MasterProtected,

    /// <summary>A shared-store master: it holds the store's lock and serves; its lease is renewed every keep-alive.</summary>
    MasterHoldingLock,

    /// <summary>A master in a planned switchover: writes held until its slave holds the last record and serves.</summary>
    HandingOver,

    /// <summary>A former master that learned its partner serves at a later epoch: it dismisses its clients and rejoins it.</summary>
    Fenced,

    /// <summary>Stopped by an operator, by <c>ShutdownOnMasterFailure</c>/<c>ShutdownOnSlaveFailure</c>, or with the host.</summary>
    Stopped,

    /// <summary>Cannot go on (a damaged store, a lost handover): an operator must look.</summary>
    Failed,
}

/// <summary>The role a state implies: what the API's <c>role</c> shows.</summary>
public enum LifecycleRole
{
    /// <summary>Neither serving nor following (starting, stopped, failed).</summary>
    None,
    Master,
    Slave,
}

/// <summary>The legal transitions, their names as the console, API and logs show them, and the role each implies.</summary>
public static class LifecycleTransitions
{
    private static readonly Dictionary<LifecycleState, LifecycleState[]> Legal = new()
    {
        [LifecycleState.Starting] = [LifecycleState.Recovering, LifecycleState.WaitingForLock, LifecycleState.Stopped, LifecycleState.Failed],
        // Recovering -> WaitingForLock: a shared store that went away while it was being recovered (the database).
        [LifecycleState.Recovering] = [LifecycleState.WaitingForMaster, LifecycleState.WaitingForSlave, LifecycleState.MasterUnprotected, LifecycleState.MasterHoldingLock, LifecycleState.WaitingForLock, LifecycleState.Stopped, LifecycleState.Failed],
        // Shared store: wait for the lock, recover the shared journal, serve; a lost lock stops serving at once and waits again.
        [LifecycleState.WaitingForLock] = [LifecycleState.Recovering, LifecycleState.Stopped, LifecycleState.Failed],
        [LifecycleState.MasterHoldingLock] = [LifecycleState.WaitingForLock, LifecycleState.Stopped, LifecycleState.Failed],
        [LifecycleState.WaitingForMaster] = [LifecycleState.CatchingUp, LifecycleState.Promoting, LifecycleState.Stopped, LifecycleState.Failed],
        // A slave still catching up never promotes on its own (it lacks acknowledged messages); an operator may make it.
        [LifecycleState.CatchingUp] = [LifecycleState.InSync, LifecycleState.WaitingForMaster, LifecycleState.Promoting, LifecycleState.Stopped, LifecycleState.Failed],
        [LifecycleState.InSync] = [LifecycleState.WaitingForMaster, LifecycleState.CatchingUp, LifecycleState.Promoting, LifecycleState.Stopped, LifecycleState.Failed],
        [LifecycleState.Promoting] = [LifecycleState.WaitingForSlave, LifecycleState.MasterUnprotected, LifecycleState.WaitingForMaster, LifecycleState.Stopped, LifecycleState.Failed],
        [LifecycleState.WaitingForSlave] = [LifecycleState.MasterProtected, LifecycleState.Fenced, LifecycleState.Stopped, LifecycleState.Failed],
        [LifecycleState.MasterUnprotected] = [LifecycleState.MasterProtected, LifecycleState.Fenced, LifecycleState.Stopped, LifecycleState.Failed],
        [LifecycleState.MasterProtected] = [LifecycleState.MasterUnprotected, LifecycleState.HandingOver, LifecycleState.Fenced, LifecycleState.Stopped, LifecycleState.Failed],
        [LifecycleState.HandingOver] = [LifecycleState.MasterProtected, LifecycleState.MasterUnprotected, LifecycleState.Fenced, LifecycleState.Stopped, LifecycleState.Failed],
        [LifecycleState.Fenced] = [LifecycleState.WaitingForMaster, LifecycleState.Stopped, LifecycleState.Failed],
        // Started again by an operator: a slave follows, a master serves, a former master whose partner took over rejoins it.
        // A stopped slave (ShutdownOnMasterFailure) may be promoted by an operator.
        [LifecycleState.Stopped] = [LifecycleState.Recovering, LifecycleState.WaitingForLock, LifecycleState.WaitingForMaster, LifecycleState.WaitingForSlave, LifecycleState.MasterUnprotected, LifecycleState.Promoting, LifecycleState.Failed],
        [LifecycleState.Failed] = [LifecycleState.Stopped],
    };

    public static bool IsLegal(LifecycleState from, LifecycleState to) => Legal[from].Contains(to);

    public static IReadOnlyList<LifecycleState> From(LifecycleState state) => Legal[state];

    /// <summary>The words the console, the API's <c>state</c>, the hub and the log use.</summary>
    public static string Name(LifecycleState state) => state switch
    {
        LifecycleState.Starting => "starting",
        LifecycleState.Recovering => "recovering",
        LifecycleState.WaitingForMaster => "waiting for master",
        LifecycleState.WaitingForLock => "waiting for lock",
        LifecycleState.MasterHoldingLock => "master holding lock",
        LifecycleState.CatchingUp => "slave catching up",
        LifecycleState.InSync => "slave in sync",
        LifecycleState.Promoting => "promoting",
        LifecycleState.WaitingForSlave => "waiting for slave",
        LifecycleState.MasterUnprotected => "master unprotected",
        LifecycleState.MasterProtected => "master protected",
        LifecycleState.HandingOver => "handing over",
        LifecycleState.Fenced => "fenced",
        LifecycleState.Stopped => "stopped",
        LifecycleState.Failed => "failed",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
    };

    public static LifecycleRole RoleOf(LifecycleState state) => state switch
    {
        LifecycleState.WaitingForMaster or LifecycleState.CatchingUp or LifecycleState.InSync or LifecycleState.Promoting or LifecycleState.Fenced
            or LifecycleState.WaitingForLock => LifecycleRole.Slave,
        LifecycleState.WaitingForSlave or LifecycleState.MasterUnprotected or LifecycleState.MasterProtected or LifecycleState.HandingOver
            or LifecycleState.MasterHoldingLock => LifecycleRole.Master,
        _ => LifecycleRole.None,
    };

    /// <summary>
    /// The steady states <c>/health/ready</c> waits for: a master serving, a slave in sync, a shared-store broker holding
    /// or waiting for the lock, or stopped on purpose (a slave still reaching or catching up with its master is not).
    /// </summary>
    public static bool IsSettled(LifecycleState state) => state is LifecycleState.InSync or LifecycleState.MasterProtected
        or LifecycleState.MasterUnprotected or LifecycleState.Stopped
        or LifecycleState.WaitingForLock or LifecycleState.MasterHoldingLock;
}

/// <summary>A broker's state, why it got there and since when.</summary>
public sealed record LifecycleStatus(LifecycleState State, string Reason, DateTimeOffset Since)
{
    public string Name => LifecycleTransitions.Name(State);

    public LifecycleRole Role => LifecycleTransitions.RoleOf(State);
}

/// <summary>A transition the table forbids: a bug in the lifecycle, never a user's mistake.</summary>
public sealed class IllegalTransitionException(LifecycleState from, LifecycleState to, string reason)
    : InvalidOperationException($"illegal lifecycle transition {from} -> {to} ({reason})");

/// <summary>
/// Holds a broker's <see cref="LifecycleStatus"/> and moves it only along legal transitions, logging each with
/// its reason and raising <see cref="Changed"/> (outside the lock).
/// </summary>
public sealed class LifecycleStateMachine(string brokerName, Action<string, LifecycleStatus, LifecycleStatus> log, TimeProvider? clock = null)
{
    private readonly Lock _lock = new();
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private LifecycleStatus _status = new(LifecycleState.Starting, "created", (clock ?? TimeProvider.System).GetUtcNow());

    public string BrokerName { get; } = brokerName;

    public LifecycleStatus Status
    {
        get { lock (_lock) { return _status; } }
    }

    public LifecycleState State => Status.State;

    public event Action<LifecycleStatus>? Changed;

    /// <exception cref="IllegalTransitionException">The table has no such transition.</exception>
    public void MoveTo(LifecycleState to, string reason) => Move(_ => true, to, reason);

    /// <summary>A new reason for the state the broker is already in (a different holder of the lock it waits for); logged like a move.</summary>
    public void Restate(LifecycleState state, string reason)
    {
        LifecycleStatus before, after;
        lock (_lock)
        {
            before = _status;
            if (before.State != state || before.Reason == reason)
            {
                return;
            }
            _status = after = before with { Reason = reason };
        }
        log(BrokerName, before, after);
        Changed?.Invoke(after);
    }

    /// <summary>Moves only when the current state is one of <paramref name="from"/> (checked and moved at once); false otherwise.</summary>
    public bool TryMove(LifecycleState[] from, LifecycleState to, string reason) => Move(from.Contains, to, reason);

    private bool Move(Func<LifecycleState, bool> guard, LifecycleState to, string reason)
    {
        LifecycleStatus before, after;
        lock (_lock)
        {
            before = _status;
            if (!guard(before.State))
            {
                return false;
            }
            if (before.State == to)
            {
                return true;
            }
            if (!LifecycleTransitions.IsLegal(before.State, to))
            {
                throw new IllegalTransitionException(before.State, to, reason);
            }
            _status = after = new LifecycleStatus(to, reason, _clock.GetUtcNow());
        }
        log(BrokerName, before, after);
        Changed?.Invoke(after);
        return true;
    }
}

/// <summary>How a broker starts when its host knows better than its configuration (the newer half of a pair in the same host).</summary>
public sealed record StartRole(bool AsMaster, string? SlaveOf, string Why);
