using Broker.Core.Events;
using Broker.Core.Handover;
using Broker.Storage.Postgres;

namespace Broker.Server;

/// <summary>
/// A pure pair's witness (<c>Brokers:&lt;name&gt;:Witness</c>): a lease row in a PostgreSQL database both brokers
/// name, the third voice that tells a dead master from a cut link. A master serves clients only while it holds the
/// lease (losing it, it dismisses them with <c>reconnect:true</c> until it has it again); a slave promotes only once
/// it holds the lease, which a live master keeps renewing, so a cut link alone never makes a second master. A master
/// that stops serving (stop, fence, handover) lets the lease go at once.
/// </summary>
public sealed partial class BrokerLifecycle
{
    private LeaseClaim? _witness;
    private CancellationTokenSource? _witnessGuard;
    private Task? _witnessGuardTask;

    // The witness decides who admits clients, and a live master admits them until its own deadline: only the expiry
    // frees its lease, never the quicker guess that its holder died (earlyTakeover).
    private LeaseClaim? Witness => _witness ??= Definition.WitnessConnectionString is { } connectionString && Definition.HaMode == HaMode.Replicated
        ? LeaseClaim.For(connectionString, Name, Definition.HaSettings, earlyTakeover: false)
        : null;

    /// <summary>
    /// Tries the witness's lease until it is this broker's, for as long as a master's unrenewed lease can last; null
    /// when it is held, otherwise why not (the holder, or the database's error).
    /// </summary>
    private async Task<string?> TakeWitnessLeaseAsync(CancellationToken cancellationToken)
    {
        if (Witness is not { } witness)
        {
            return null;
        }
        var settings = Definition.HaSettings;
        var deadline = DateTime.UtcNow + settings.LeaseDuration + settings.LeaseRenewal;
        while (true)
        {
            var refusal = await TryWitnessAsync(witness, cancellationToken);
            if (refusal is null || DateTime.UtcNow >= deadline)
            {
                return refusal;
            }
            _machine.Restate(Status.State, WitnessRefusal(refusal));
            await Task.Delay(settings.LockAcquireSleepInterval, cancellationToken);
        }
    }

    /// <summary>What a slave says while the witness keeps it from promoting: one reason while the holder stays the same.</summary>
    private static string WitnessRefusal(string refusal) => $"the master is lost but {refusal}; not promoting while it holds the lease";

    private static async Task<string?> TryWitnessAsync(LeaseClaim witness, CancellationToken cancellationToken)
    {
        try
        {
            return await witness.TryClaimAsync(cancellationToken) is { } holder ? $"the witness's {holder}" : null;
        }
        catch (Exception e) when (e is StoreUnreachableException or PostgresStoreException)
        {
            // PostgresStoreException: a witness database migrated by a newer broker; said like an unreachable one.
            return $"the witness cannot be reached: {e.Message}";
        }
    }

    /// <summary>
    /// A master about to open its connectors: with a witness, clients are admitted only while it holds the lease; a
    /// guard keeps renewing it, dismisses the clients when it is lost and admits them again when it is regained.
    /// </summary>
    private async Task GuardWithWitnessAsync()
    {
        if (Witness is not { } witness)
        {
            return;
        }
        await StopWitnessGuardAsync(release: false);
        var refusal = await TryWitnessAsync(witness, _stopping.Token);
        LockHolder = refusal is null ? ThisBroker : refusal;
        if (refusal is not null)
        {
            var message = $"broker {Name} does not hold the witness lease ({refusal})";
            Broker.ClientRefusal = new ClientRefusal(message, Reconnect: true);
            if (Broker.Counters.Connections > 0)
            {
                // Clients already here (a switchover called off after the lease went to the partner) go too.
                await Broker.DismissClientsAsync(message, ClientGrace);
            }
        }
        _witnessGuard = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        var token = _witnessGuard.Token;
        _witnessGuardTask = Task.Run(() => GuardAsync(witness, holding: refusal is null, token));
    }

    private async Task GuardAsync(LeaseClaim witness, bool holding, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                if (holding)
                {
                    var lost = await witness.HoldAsync(cancellationToken);
                    var message = $"broker {Name} lost the witness lease ({lost}); it takes no clients until it holds it again";
                    LifecycleLog.WitnessLeaseLost(_logger, Name, lost);
                    Publish(BrokerEventKind.Unprotected, message);
                    Broker.ClientRefusal = new ClientRefusal(message, Reconnect: true);
                    LockHolder = null;
                    await Broker.DismissClientsAsync(message, ClientGrace);
                    holding = false;
                    continue;
                }
                await Task.Delay(Definition.HaSettings.LockAcquireSleepInterval, cancellationToken);
                if (await TryWitnessAsync(witness, cancellationToken) is null)
                {
                    LifecycleLog.WitnessLeaseHeld(_logger, Name);
                    LockHolder = ThisBroker;
                    Broker.AdmitClients();
                    if (Status.State == LifecycleState.WaitingForSlave)
                    {
                        // Holding the lease again does not make a slave in sync: clients still wait for it.
                        Broker.ClientRefusal = new ClientRefusal("waiting for slave");
                    }
                    holding = true;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped serving: the caller lets the lease go.
        }
    }

    /// <summary>Ends the master's guard; with <paramref name="release"/>, lets the lease go so the partner may take it at once.</summary>
    private async Task StopWitnessGuardAsync(bool release)
    {
        if (_witnessGuard is { } guard)
        {
            _witnessGuard = null;
            await guard.CancelAsync();
            await _witnessGuardTask!.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            guard.Dispose();
        }
        if (release && _witness is { } witness)
        {
            await witness.ReleaseAsync();
            LockHolder = null;
        }
    }
}
