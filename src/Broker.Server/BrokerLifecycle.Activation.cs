namespace Broker.Server;

/// <summary>How a broker becomes master: one activation per <see cref="HaMode"/>, chosen at construction.</summary>
public sealed partial class BrokerLifecycle
{
    /// <summary>
    /// What a broker waits for before it serves, and what it does when serving must stop (Artemis's live and backup
    /// activations, as five functions). The lifecycle's public actions pass the action gate and its checks, then come
    /// here; every state they move through is one of <see cref="LifecycleState"/>.
    /// </summary>
    /// <param name="Start">The host starts the broker (with the role the host found, for a pair in one process).</param>
    /// <param name="Stop">An operator's stop of a broker that serves or waits.</param>
    /// <param name="StartAgain">An operator's start of a stopped broker.</param>
    /// <param name="Promote">An operator's promotion of a broker that is not master.</param>
    /// <param name="Switchover">An operator's planned switchover (it takes the action gate itself).</param>
    /// <param name="OpensStoreAtStart">The store opens before <paramref name="Start"/> (the host compares a pair's epochs).</param>
    /// <param name="ServesUnderLock">Serving means holding a lock on a shared store (<see cref="LifecycleState.MasterHoldingLock"/>).</param>
    private sealed record Activation(
        Func<StartRole?, Task> Start,
        Func<Task> Stop,
        Func<Task> StartAgain,
        Func<Task> Promote,
        Func<Task> Switchover,
        bool OpensStoreAtStart,
        bool ServesUnderLock);

    /// <summary>Pure master/slave: a slave follows its master over the link, and is promoted when the master is lost or hands over.</summary>
    private Activation ReplicatedActivation() => new(
        StartReplicatedAsync, StopReplicatedAsync, StartReplicatedAgainAsync, PromoteReplicatedAsync, SwitchoverReplicatedAsync,
        OpensStoreAtStart: true, ServesUnderLock: false);

    /// <summary>Shared file system: the broker holding the shared store's lock serves; the others wait for it.</summary>
    private Activation SharedStoreActivation() => new(
        role => StartSharedStoreAsync(role?.Why ?? "shared store: waiting for its lock"),
        async () =>
        {
            // A master lets go of the lock: a waiting broker takes over.
            await StopSharedStoreAsync();
            MoveToStopped("stopped by an operator");
        },
        () =>
        {
            _machine.MoveTo(LifecycleState.WaitingForLock, "started by an operator");
            WaitForLockInBackground();
            return Task.CompletedTask;
        },
        () => throw new InvalidOperationException($"broker {Name} shares its store: it becomes master by taking the store's lock; stop the master to let it"),
        () => throw new InvalidOperationException($"broker {Name} shares its store: stop the master, and a waiting broker takes the lock"),
        OpensStoreAtStart: false, ServesUnderLock: true);
}
