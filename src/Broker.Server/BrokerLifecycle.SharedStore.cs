using Broker.Core.Events;
using Broker.Storage;
using Broker.Storage.Postgres;

namespace Broker.Server;

/// <summary>
/// Shared-store master/slave (<see cref="HaMode.SharedFileSystem"/>, <see cref="HaMode.Database"/>): wait for the
/// store's claim (a lock on the shared volume, a lease row in the database), recover the shared store, serve while
/// the claim is kept alive; a lost claim, or a store that fails, stops serving at once and waits again.
/// </summary>
public sealed partial class BrokerLifecycle
{
    private IStoreClaim? _claim;
    private PostgresStore? _database;
    private CancellationTokenSource? _sharedStore;
    private Task? _sharedStoreTask;

    // What LockHolder says while this broker holds the store's claim or the witness's lease.
    private string ThisBroker => $"{Name} (this broker)";

    private string? _lockHolder;
    private DateTimeOffset? _lockHolderSince;

    /// <summary>Who holds the shared store's claim (this broker when it serves); null without one or before it is known.</summary>
    public string? LockHolder
    {
        get => _lockHolder;
        private set
        {
            if (value != _lockHolder)
            {
                _lockHolder = value;
                _lockHolderSince = value is null ? null : DateTimeOffset.UtcNow;
            }
        }
    }

    /// <summary>The mode, the store, its holder and since when, failing renewals, the witness: for the API and console.</summary>
    public HaStatus Ha
    {
        get
        {
            var failing = (_claim ?? (IStoreClaim?)_witness)?.RenewalFailure;
            return new HaStatus(Definition.HaMode, Definition.HaMode == HaMode.Replicated ? null : StoreDescription,
                _lockHolder, _lockHolderSince, failing?.Reason, failing?.Since, WitnessDescription);
        }
    }

    // Read on every snapshot the console and hub take: the connection strings are parsed once.
    private string? _storeDescription;
    private string? _witnessDescription;

    private string StoreDescription => _storeDescription ??= Definition.HaMode == HaMode.Database
        ? PostgresStore.Describe(Definition.ConnectionString!)
        : Definition.Options.DataDirectory;

    private string? WitnessDescription => Definition.WitnessConnectionString is { } witness && Definition.HaMode == HaMode.Replicated
        ? _witnessDescription ??= PostgresStore.Describe(witness)
        : null;

    /// <summary>Checks the store can be shared, then waits for the claim (or fails at once with <c>FailIfLocked</c>) in the background.</summary>
    /// <exception cref="BrokerStartException">The volume's locks do not work, or FailIfLocked and the store is claimed.</exception>
    private async Task StartSharedStoreAsync(string why)
    {
        _claim ??= NewClaim();
        if (_claim is LeaseClaim lease)
        {
            try
            {
                await lease.PrepareAsync(_stopping.Token);
            }
            catch (PostgresSchemaTooNewException e)
            {
                Fail($"broker {Name}: {e.Message}", e);
            }
            catch (PostgresStoreException)
            {
                // Not reachable now: the background wait says so and tries again.
            }
        }
        if (Definition.HaMode == HaMode.SharedFileSystem)
        {
            try
            {
                SharedStoreLock.CheckLocksWork(Definition.Options.DataDirectory);
            }
            catch (Exception e) when (e is SharedStoreUnsupportedException or IOException or UnauthorizedAccessException)
            {
                Fail($"broker {Name}: HaMode SharedFileSystem: {e.Message}", e);
            }
        }
        if (Definition.HaSettings.FailIfLocked)
        {
            string? holder = null;
            try
            {
                holder = await _claim.TryClaimAsync(_stopping.Token);
            }
            catch (StoreUnreachableException e)
            {
                Fail($"broker {Name}: {e.Message}", e);
            }
            // Probed only: the background wait claims it again for real.
            await _claim.ReleaseAsync();
            if (holder is not null)
            {
                Fail($"broker {Name}: the shared store {StoreDescription} is {holder} and FailIfLocked is set");
            }
        }
        _machine.MoveTo(LifecycleState.WaitingForLock, why);
        WaitForLockInBackground();

        void Fail(string reason, Exception? cause = null)
        {
            _machine.MoveTo(LifecycleState.Failed, reason);
            throw new BrokerStartException(reason, cause);
        }
    }

    private IStoreClaim NewClaim() => Definition.HaMode == HaMode.Database
        ? LeaseClaim.For(Definition.ConnectionString!, Name, Definition.HaSettings, earlyTakeover: true)
        : new FileLockClaim(Definition.Options.DataDirectory, Name, Definition.HaSettings.LockKeepAlivePeriod);

    private void WaitForLockInBackground()
    {
        _sharedStore = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        var token = _sharedStore.Token;
        _sharedStoreTask = Task.Run(() => HoldTheStoreAsync(token));
    }

    /// <summary>The shared store's life: wait for the claim, serve, keep it alive; when it is lost, wait again.</summary>
    private async Task HoldTheStoreAsync(CancellationToken cancellationToken)
    {
        var claim = _claim!;
        try
        {
            while (true)
            {
                if (!await ClaimAsync(claim, cancellationToken))
                {
                    return;
                }
                var storeFailed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
                await _actions.WaitAsync(cancellationToken);
                try
                {
                    if (!await ServeFromSharedStoreAsync(storeFailed))
                    {
                        if (Status.State == LifecycleState.Failed)
                        {
                            return;
                        }
                        // The store went away during recovery: wait for the claim again.
                        continue;
                    }
                }
                finally
                {
                    _actions.Release();
                }
                using var serving = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var holding = claim.HoldAsync(serving.Token);
                var lost = await await Task.WhenAny(holding, storeFailed.Task);
                // The keep-alive is over before the claim is released: never a renewal beside the release.
                await serving.CancelAsync();
                await ((Task)holding).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                await _actions.WaitAsync(cancellationToken);
                try
                {
                    LifecycleLog.StoreLockLost(_logger, Name, lost);
                    Publish(BrokerEventKind.BrokerStopped, $"the shared store's claim was lost ({lost}); stopped serving");
                    await ReleaseStoreAsync();
                    _machine.MoveTo(LifecycleState.WaitingForLock, $"lock lost: {lost}");
                }
                finally
                {
                    _actions.Release();
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped by an operator or with the host: whoever cancelled releases the store.
        }
    }

    /// <summary>
    /// Tries the claim every <c>LockAcquireSleepInterval</c> until it is this broker's (true), saying who holds it
    /// meanwhile; false when it never can be (the broker failed).
    /// </summary>
    private async Task<bool> ClaimAsync(IStoreClaim claim, CancellationToken cancellationToken)
    {
        string? said = null;
        var interval = Definition.HaSettings.LockAcquireSleepInterval;
        var unreachableFor = TimeSpan.Zero;
        while (true)
        {
            string? holder;
            try
            {
                holder = await claim.TryClaimAsync(cancellationToken);
                unreachableFor = TimeSpan.Zero;
            }
            catch (PostgresSchemaTooNewException e)
            {
                // A newer broker migrated the database meanwhile: this one must not write to it, and waiting won't help.
                _machine.MoveTo(LifecycleState.Failed, e.Message);
                return false;
            }
            catch (StoreUnreachableException e)
            {
                // The volume is away or the database is down: say so, and try again less often the longer it lasts.
                holder = null;
                Restate(e.Message);
                unreachableFor += interval;
                await Task.Delay(interval + TimeSpan.FromTicks(Math.Min(unreachableFor.Ticks, TimeSpan.FromSeconds(5).Ticks)), cancellationToken);
                continue;
            }
            if (holder is null)
            {
                LifecycleLog.StoreLockAcquired(_logger, Name, StoreDescription);
                return true;
            }
            LockHolder = holder;
            Restate(holder);
            await Task.Delay(interval, cancellationToken);
        }

        void Restate(string reason)
        {
            if (reason != said)
            {
                said = reason;
                _machine.Restate(LifecycleState.WaitingForLock, reason);
            }
        }
    }

    /// <summary>Under the action gate: recovers the shared store and opens the connectors; false when it cannot serve.</summary>
    private async Task<bool> ServeFromSharedStoreAsync(TaskCompletionSource<string> storeFailed)
    {
        LockHolder = ThisBroker;
        try
        {
            if (Definition.HaMode == HaMode.Database)
            {
                if (!await OpenDatabaseAsync(storeFailed))
                {
                    return false;
                }
            }
            else
            {
                OpenJournal();
                Broker.Recover(_journal!, _journal!.Replay());
            }
        }
        catch (BrokerStartException)
        {
            // Damaged, or still locked by the journal of a holder that lives on: failed, for an operator to look.
            await ReleaseStoreAsync();
            return false;
        }
        try
        {
            await BecomeMasterAsync(Definition.HaMode == HaMode.Database ? "holds the lease on the database" : "holds the lock on the shared store");
        }
        catch (BrokerStartException)
        {
            await ReleaseStoreAsync();
            return false;
        }
        Publish(BrokerEventKind.Promoted, $"took over the shared store {StoreDescription}; serving at sequence {LastSequence}, epoch {Epoch}");
        return true;
    }

    /// <summary>Opens and recovers the database's store under this broker's lease; false (waiting again) when the database went away.</summary>
    private async Task<bool> OpenDatabaseAsync(TaskCompletionSource<string> storeFailed)
    {
        _machine.MoveTo(LifecycleState.Recovering, $"recovering {StoreDescription}");
        try
        {
            _database = await PostgresStore.OpenAsync(new PostgresStoreOptions
            {
                ConnectionString = Definition.ConnectionString!,
                StoreLimit = Definition.Options.StoreLimit,
                LeaseHolder = ((LeaseClaim)_claim!).Holder,
                AckFlushDelay = Definition.Options.AckFlushDelay,
            }, _loggerFactory.CreateLogger(typeof(PostgresStore).FullName!));
            _database.Failed += e => storeFailed.TrySetResult(e.Message);
            // The new epoch first (it is only the state row), so the records stream from the table into the broker.
            await _database.BeginEpochAsync();
            Broker.Recover(_database, _database.Replay());
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The database went away, or the store could not be read: let the claim go and wait for it again (a
            // broker left in "recovering" with nobody retrying would serve nothing and say nothing).
            LifecycleLog.StoreRecoveryFailed(_logger, e, Name, StoreDescription);
            await ReleaseStoreAsync();
            _machine.MoveTo(LifecycleState.WaitingForLock, $"recovery stopped: {e.Message}");
            return false;
        }
    }

    /// <summary>Stops serving, forgets the state, closes the store and lets go of the claim (in that order).</summary>
    private async Task ReleaseStoreAsync()
    {
        await StopServingAsync();
        LockHolder = null;
        Broker.ResetForStandby();
        if (_journal is { } journal)
        {
            _journal = null;
            await journal.DisposeAsync();
        }
        if (_database is { } database)
        {
            _database = null;
            await database.DisposeAsync();
        }
        if (_claim is { } claim)
        {
            await claim.ReleaseAsync();
        }
    }

    /// <summary>An operator's stop: serving ends and the claim goes to a waiting broker.</summary>
    private async Task StopSharedStoreAsync()
    {
        if (_sharedStore is { } waiting)
        {
            await waiting.CancelAsync();
        }
        if (_sharedStoreTask is { } task)
        {
            await task.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        await ReleaseStoreAsync();
    }
}
