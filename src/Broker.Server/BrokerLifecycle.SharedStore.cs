using Broker.Core.Events;
using Broker.Storage;

namespace Broker.Server;

/// <summary>
/// Shared file system master/slave (<see cref="HaMode.SharedFileSystem"/>): wait for the shared store's lock, recover
/// the shared journal, serve while the lock is kept alive; a lost lock stops serving at once and waits again.
/// </summary>
public sealed partial class BrokerLifecycle
{
    private SharedStoreLock? _storeLock;
    private CancellationTokenSource? _sharedStore;
    private Task? _sharedStoreTask;

    /// <summary>Who holds the shared store's lock, as its lease says (this broker when it serves); null without one.</summary>
    public StoreLease? LockHolder { get; private set; }

    /// <summary>Checks the volume, then waits for the lock (or fails at once with <c>FailIfLocked</c>) in the background.</summary>
    /// <exception cref="BrokerStartException">The volume's locks do not work, or FailIfLocked and the lock is held.</exception>
    private void StartSharedStore(string why)
    {
        var directory = Definition.Options.DataDirectory;
        try
        {
            SharedStoreLock.CheckLocksWork(directory);
        }
        catch (Exception e) when (e is SharedStoreUnsupportedException or IOException or UnauthorizedAccessException)
        {
            var reason = $"broker {Name}: HaMode SharedFileSystem: {e.Message}";
            _machine.MoveTo(LifecycleState.Failed, reason);
            throw new BrokerStartException(reason, e);
        }
        if (Definition.HaSettings.FailIfLocked)
        {
            using var probe = SharedStoreLock.TryAcquire(directory, Name, out var holder);
            if (probe is null)
            {
                var reason = $"broker {Name}: the shared store {directory} is locked by {holder?.Describe() ?? "another broker"} and FailIfLocked is set";
                _machine.MoveTo(LifecycleState.Failed, reason);
                throw new BrokerStartException(reason);
            }
        }
        _machine.MoveTo(LifecycleState.WaitingForLock, why);
        WaitForLockInBackground();
    }

    private void WaitForLockInBackground()
    {
        _sharedStore = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        var token = _sharedStore.Token;
        _sharedStoreTask = Task.Run(() => HoldTheStoreAsync(token));
    }

    /// <summary>The shared store's life: wait for the lock, serve, keep it alive; when it is lost, wait again.</summary>
    private async Task HoldTheStoreAsync(CancellationToken cancellationToken)
    {
        var directory = Definition.Options.DataDirectory;
        var settings = Definition.HaSettings;
        try
        {
            while (true)
            {
                var held = await AcquireAsync(directory, settings.LockAcquireSleepInterval, cancellationToken);
                string lost;
                await _actions.WaitAsync(cancellationToken);
                try
                {
                    if (!await ServeFromSharedStoreAsync(held))
                    {
                        return;
                    }
                }
                finally
                {
                    _actions.Release();
                }
                lost = await KeepAliveAsync(held, settings.LockKeepAlivePeriod, cancellationToken);
                await _actions.WaitAsync(cancellationToken);
                try
                {
                    LifecycleLog.StoreLockLost(_logger, Name, lost);
                    Publish(BrokerEventKind.BrokerStopped, $"lock on the shared store lost ({lost}); stopped serving");
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

    private async Task<SharedStoreLock> AcquireAsync(string directory, TimeSpan interval, CancellationToken cancellationToken)
    {
        string? lastHolder = null;
        while (true)
        {
            SharedStoreLock? held = null;
            StoreLease? holder = null;
            try
            {
                held = SharedStoreLock.TryAcquire(directory, Name, out holder);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The volume is away (unmounted, unreachable): say so and try again.
                Restate($"the shared store cannot be reached: {e.Message}", ref lastHolder);
            }
            if (held is not null)
            {
                LifecycleLog.StoreLockAcquired(_logger, Name, directory);
                return held;
            }
            LockHolder = holder;
            if (holder is not null)
            {
                Restate($"held by {holder.Describe()}", ref lastHolder);
            }
            await Task.Delay(interval, cancellationToken);
        }

        void Restate(string reason, ref string? last)
        {
            if (reason != last)
            {
                last = reason;
                _machine.Restate(LifecycleState.WaitingForLock, reason);
            }
        }
    }

    /// <summary>Under the action gate: recovers the shared journal and opens the connectors; false when it cannot serve.</summary>
    private async Task<bool> ServeFromSharedStoreAsync(SharedStoreLock held)
    {
        _storeLock = held;
        LockHolder = held.Lease;
        try
        {
            OpenJournal();
        }
        catch (BrokerStartException)
        {
            // Damaged or still locked by the journal of a holder that lives on: failed, for an operator to look.
            await ReleaseStoreAsync();
            return false;
        }
        Broker.Recover(_journal!, _journal!.Replay());
        try
        {
            await BecomeMasterAsync("holds the lock on the shared store");
        }
        catch (BrokerStartException)
        {
            await ReleaseStoreAsync();
            return false;
        }
        Publish(BrokerEventKind.Promoted, $"took the lock on the shared store {Definition.Options.DataDirectory}; serving at sequence {_journal.LastSequence}");
        return true;
    }

    /// <returns>Why the lock was lost.</returns>
    private static async Task<string> KeepAliveAsync(SharedStoreLock held, TimeSpan period, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(period);
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            try
            {
                held.KeepAlive();
            }
            catch (StoreLockLostException e)
            {
                return e.Message;
            }
        }
        throw new OperationCanceledException(cancellationToken);
    }

    /// <summary>Stops serving, forgets the state, closes the journal and lets go of the lock (in that order).</summary>
    private async Task ReleaseStoreAsync()
    {
        await StopServingAsync();
        Broker.ResetForStandby();
        if (_journal is { } journal)
        {
            _journal = null;
            await journal.DisposeAsync();
        }
        _storeLock?.Dispose();
        _storeLock = null;
    }

    /// <summary>An operator's stop: serving ends and the lock goes to a waiting broker.</summary>
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
