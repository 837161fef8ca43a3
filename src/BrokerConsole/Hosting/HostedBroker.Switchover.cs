using Broker.Core.Events;
using Broker.Replication;

namespace BrokerConsole.Hosting;

/// <summary>Planned switchover and demotion: handing the master role to the partner, or giving it up when fenced.</summary>
public sealed partial class HostedBroker
{
    private const string PlannedSwitchover = "planned switchover";

    /// <summary>How long each step of a planned switchover may take before it is called off.</summary>
    public static readonly TimeSpan SwitchoverTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How long dismissed clients get to read their ERROR before the connectors close under them.</summary>
    private static readonly TimeSpan ClientGrace = TimeSpan.FromSeconds(2);


    /// <summary>
    /// A planned switchover, asked of either broker of a pair: the master stops taking writes, its slave
    /// catches up, the roles swap and clients are told to reconnect. Returns when the slave serves.
    /// </summary>
    public async Task SwitchoverByOperatorAsync()
    {
        if (Role == BrokerRole.Master)
        {
            await HandOverAsync("asked by an operator");
            return;
        }
        if (_slave is not { State: SlaveState.InSync } slave)
        {
            throw new InvalidOperationException($"broker {Name} is not a slave in sync with its master: there is nothing to switch over to");
        }
        var promoted = _promotion.Task;
        await slave.RequestSwitchoverAsync(_stopping.Token);
        try
        {
            await promoted.WaitAsync(2 * SwitchoverTimeout, _stopping.Token);
        }
        catch (TimeoutException)
        {
            throw new InvalidOperationException($"the master of {Name} did not hand over within {2 * SwitchoverTimeout.TotalSeconds:0} s");
        }
    }

    /// <summary>
    /// The master's side of a planned switchover: no more writes, the slave confirms the final record and takes
    /// over, then the clients are told to reconnect (<c>ERROR message:switchover reconnect:true</c>) and this
    /// broker rejoins the new master as its slave. Nothing acknowledged is lost; nothing is served twice.
    /// </summary>
    private async Task HandOverAsync(string why)
    {
        if (!await _transition.WaitAsync(0))
        {
            throw new InvalidOperationException($"broker {Name} is already changing roles");
        }
        try
        {
            if (Role != BrokerRole.Master || _master is not { IsInSync: true } master)
            {
                throw new InvalidOperationException($"broker {Name} has no slave in sync: a switchover now could lose messages; wait until the pair is protected");
            }
            HostLog.SwitchoverStarting(_logger, Name, master.SlaveName ?? "?", why);
            Publish(BrokerEventKind.Switchover, $"switchover to {master.SlaveName} started ({why})");
            await Broker.QuiesceAsync("switchover in progress", _stopping.Token);
            string partner;
            try
            {
                partner = await master.HandOverAsync(SwitchoverTimeout, _stopping.Token);
            }
            catch (HandoverException e) when (!e.LinkLost)
            {
                Broker.Resume();
                HostLog.SwitchoverFailed(_logger, Name, e.Message);
                Publish(BrokerEventKind.Switchover, $"switchover called off, {Name} goes on as master: {e.Message}");
                throw new InvalidOperationException($"switchover called off: {e.Message}", e);
            }
            catch (OperationCanceledException)
            {
                Broker.Resume();
                throw;
            }
            catch (HandoverException e)
            {
                // The slave may already serve: this broker must not serve on its own, or the pair has two masters.
                HostLog.SwitchoverFailed(_logger, Name, e.Message);
                await Broker.DismissClientsAsync("switchover", ClientGrace);
                await StopAsync();
                StoppedByOperator = true;
                Publish(BrokerEventKind.BrokerStopped, $"switchover interrupted ({e.Message}); stopped so the pair never has two masters");
                throw new InvalidOperationException($"switchover interrupted: {e.Message}; {Name} stopped, check its partner", e);
            }
            Publish(BrokerEventKind.Switchover, $"{master.SlaveName} took over at sequence {_journal!.LastSequence}");
            await DemoteAsync(partner, "switchover", PlannedSwitchover);
        }
        finally
        {
            _transition.Release();
        }
    }

    /// <summary>The slave's side of a planned switchover, called by its link once it holds the master's final record.</summary>
    private async Task<int> TakeOverAsync()
    {
        await PromoteAsync("planned switchover");
        return ClientPort;
    }

    /// <summary>The partner became master at a later epoch (an operator promoted it, or a cut hid this broker): stop serving and rejoin it.</summary>
    private async Task FencedByPartnerAsync(string partner, string why)
    {
        await _transition.WaitAsync();
        try
        {
            if (Role == BrokerRole.Master)
            {
                await Broker.QuiesceAsync(why, _stopping.Token);
                await DemoteAsync(partner, "switchover", why);
            }
        }
        finally
        {
            _transition.Release();
        }
    }

    /// <summary>Tells the clients to reconnect elsewhere, stops serving, forgets the broker state and follows <paramref name="partner"/>.</summary>
    private async Task DemoteAsync(string partner, string clientMessage, string why)
    {
        HostLog.Demoting(_logger, Name, partner, why);
        await Broker.DismissClientsAsync(clientMessage, ClientGrace);
        await StopAsync();
        if (_master is { } master)
        {
            _master = null;
            await master.DisposeAsync();
        }
        Broker.ResetForStandby();
        Role = BrokerRole.Slave;
        StoppedByOperator = false;
        _promotingByOperator = false;
        _watchingPeer?.Cancel();
        _promotion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Publish(BrokerEventKind.Demoted, $"{why}: rejoining {partner} as its slave");
        StartStandby(Definition.Replication.AsSlaveOf(partner), failBack: why != PlannedSwitchover);
    }

    /// <summary>The port clients reach this broker on (its first connector), which a demoted partner rejoins.</summary>
    private int ClientPort => Connectors.Count == 0 ? 0 : Connectors[0].BoundPort is > 0 and var bound ? bound : Connectors[0].Uri.Port;
}
