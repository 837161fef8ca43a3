using Broker.Core.Events;
using Broker.Replication;

namespace Broker.Server;

/// <summary>Planned switchover and demotion: handing the master role to the partner, or giving it up when fenced.</summary>
public sealed partial class BrokerLifecycle
{
    private const string PlannedSwitchover = "planned switchover";

    /// <summary>How long each step of a planned switchover may take before it is called off.</summary>
    public static readonly TimeSpan SwitchoverTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How long dismissed clients get to read their ERROR before the connectors close under them.</summary>
    private static readonly TimeSpan ClientGrace = TimeSpan.FromSeconds(2);

    /// <summary>
    /// A planned switchover, asked of either broker of a pair: the master stops taking writes, its slave
    /// catches up, the roles swap and clients are told to reconnect. Returns when the slave serves; a refusal
    /// by the master comes back at once with its reason.
    /// </summary>
    public Task SwitchoverByOperatorAsync() => _activation.Switchover();

    private async Task SwitchoverReplicatedAsync()
    {
        if (Status.Role == LifecycleRole.Master)
        {
            await RunActionAsync("switchover", () => HandOverCoreAsync("asked by an operator", thenStop: false));
            return;
        }
        await RunActionAsync("switchover", async () =>
        {
            if (_slave is not { State: SlaveState.InSync } slave)
            {
                throw new InvalidOperationException($"broker {Name} is {Status.Name}, not a slave in sync with its master: there is nothing to switch over to");
            }
            var promoted = _promotion.Task;
            // Completes with the master's refusal; a master that agrees hands over instead (this broker is promoted).
            var refusal = slave.RequestSwitchoverAsync(_stopping.Token);
            try
            {
                if (await Task.WhenAny(promoted, refusal).WaitAsync(2 * SwitchoverTimeout, _stopping.Token) == refusal
                    && refusal.IsCompletedSuccessfully && !promoted.IsCompleted)
                {
                    throw new InvalidOperationException($"the master refused the switchover: {refusal.Result}");
                }
                await promoted.WaitAsync(2 * SwitchoverTimeout, _stopping.Token);
            }
            catch (TimeoutException)
            {
                throw new InvalidOperationException($"the master of {Name} did not hand over within {2 * SwitchoverTimeout.TotalSeconds:0} s");
            }
        });
    }

    /// <summary>
    /// The master's side of a planned switchover (the caller holds the action gate): no more writes, the slave
    /// confirms the final record and takes over, then the clients are told to reconnect
    /// (<c>ERROR message:switchover reconnect:true</c>) and this broker rejoins the new master as its slave, or
    /// stays stopped (<paramref name="thenStop"/>: an operator's stop of a protected master). Nothing
    /// acknowledged is lost.
    /// </summary>
    private async Task HandOverCoreAsync(string why, bool thenStop)
    {
        if (_master is not { IsInSync: true } master || !_machine.TryMove([LifecycleState.MasterProtected], LifecycleState.HandingOver, why))
        {
            throw new InvalidOperationException($"broker {Name} has no slave in sync ({Status.Name}): a switchover now could lose messages; wait until the pair is protected");
        }
        LifecycleLog.SwitchoverStarting(_logger, Name, master.SlaveName ?? "?", why);
        Publish(BrokerEventKind.Switchover, $"switchover to {master.SlaveName} started ({why})");
        await Broker.QuiesceAsync("switchover in progress", _stopping.Token);
        // No more writes here: the slave may take the witness's lease to take over.
        await StopWitnessGuardAsync(release: true);
        string partner;
        try
        {
            partner = await master.HandOverAsync(SwitchoverTimeout, _stopping.Token);
        }
        catch (HandoverException e) when (!e.LinkLost)
        {
            Broker.Resume();
            await GuardWithWitnessAsync();
            LifecycleLog.SwitchoverFailed(_logger, Name, e.Message);
            _machine.MoveTo(master.IsInSync ? LifecycleState.MasterProtected : LifecycleState.MasterUnprotected, $"switchover called off: {e.Message}");
            Publish(BrokerEventKind.Switchover, $"switchover called off, {Name} goes on as master: {e.Message}");
            throw new InvalidOperationException($"switchover called off: {e.Message}", e);
        }
        catch (OperationCanceledException)
        {
            Broker.Resume();
            await GuardWithWitnessAsync();
            throw;
        }
        catch (HandoverException e)
        {
            // The slave may already serve: this broker must not serve on its own, or the pair has two masters.
            LifecycleLog.SwitchoverFailed(_logger, Name, e.Message);
            await Broker.DismissClientsAsync("switchover", ClientGrace);
            await StopServingAsync();
            MoveToStopped($"switchover interrupted ({e.Message}); stopped so the pair never has two masters");
            throw new InvalidOperationException($"switchover interrupted: {e.Message}; {Name} stopped, check its partner", e);
        }
        Publish(BrokerEventKind.Switchover, $"{master.SlaveName} took over at sequence {_journal!.LastSequence}");
        await DemoteAsync(partner, "switchover", thenStop ? "handed over before an operator's stop" : PlannedSwitchover, thenStop);
    }

    /// <summary>The slave's side of a planned switchover, called by its link once it holds the master's final record.</summary>
    private async Task<(int Port, bool Tls)> TakeOverAsync()
    {
        await PromoteAsync(PlannedSwitchover, byOperator: true);
        if (Status.Role != LifecycleRole.Master)
        {
            throw new InvalidOperationException($"broker {Name} is {Status.Name}: {Status.Reason}");
        }
        return (Endpoints.ClientPort, Endpoints.ClientTls);
    }

    /// <summary>The partner became master at a later epoch (an operator promoted it, or a cut hid this broker): stop serving and rejoin it.</summary>
    private async Task FencedByPartnerAsync(string partner, string why)
    {
        await _actions.WaitAsync(_stopping.Token);
        try
        {
            if (Status.Role == LifecycleRole.Master)
            {
                await Broker.QuiesceAsync(why, _stopping.Token);
                await DemoteAsync(partner, "switchover", why, thenStop: false);
            }
        }
        finally
        {
            _actions.Release();
        }
    }

    /// <summary>Tells the clients to reconnect elsewhere, stops serving, forgets the broker state and follows <paramref name="partner"/> (or stays stopped).</summary>
    private async Task DemoteAsync(string partner, string clientMessage, string why, bool thenStop)
    {
        LifecycleLog.Demoting(_logger, Name, partner, why);
        _machine.MoveTo(LifecycleState.Fenced, $"{why}: {partner} serves now");
        await Broker.DismissClientsAsync(clientMessage, ClientGrace);
        await ResetToStandbyAsync();
        _servesAsMaster = false;
        _following = Definition.Replication.AsSlaveOf(partner);
        Publish(BrokerEventKind.Demoted, $"{why}: rejoining {partner} as its slave");
        if (thenStop)
        {
            MoveToStopped($"{why}; it rejoins {partner} as slave when started");
            return;
        }
        StartStandby(_following, $"{why}: rejoining {partner} as its slave", failBack: why != PlannedSwitchover);
    }
}
