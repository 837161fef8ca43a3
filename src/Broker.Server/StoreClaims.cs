using Broker.Storage;
using Broker.Storage.Postgres;

namespace Broker.Server;

/// <summary>The shared store cannot be reached to claim it (the volume is away, the database is down).</summary>
internal sealed class StoreUnreachableException(string message, Exception inner) : Exception(message, inner);

/// <summary>
/// How a broker of a shared store claims the right to serve from it, keeps that right and gives it up: an OS lock on
/// a shared volume, or a lease row in the database. The lifecycle's waiting, serving and stepping down are the same
/// for both (<see cref="BrokerLifecycle"/>'s shared-store activation).
/// </summary>
internal interface IStoreClaim : IAsyncDisposable
{
    /// <summary>Claims the store; null when this broker holds it now, otherwise who holds it.</summary>
    /// <exception cref="StoreUnreachableException">The store cannot be reached.</exception>
    Task<string?> TryClaimAsync(CancellationToken cancellationToken);

    /// <summary>Keeps the claim alive; completes with why it was lost (cancelled when the broker stops).</summary>
    Task<string> HoldAsync(CancellationToken cancellationToken);

    /// <summary>Gives the claim up (a no-op when not held), so a waiting broker takes over at once.</summary>
    Task ReleaseAsync();

    /// <summary>Why the last renewals failed, and since when (null while they succeed): shown live, before the claim is lost.</summary>
    (string Reason, DateTimeOffset Since)? RenewalFailure { get; }
}

/// <summary>Shared file system: the OS lock on <c>master.lock</c> and the lease file beside it (<see cref="SharedStoreLock"/>).</summary>
internal sealed class FileLockClaim(string directory, string brokerName, TimeSpan keepAlivePeriod) : IStoreClaim
{
    private SharedStoreLock? _held;

    // A failed keep-alive of a file lock is a lost lock at once: there is no failing-but-held phase to show.
    public (string Reason, DateTimeOffset Since)? RenewalFailure => null;

    public Task<string?> TryClaimAsync(CancellationToken cancellationToken)
    {
        try
        {
            _held = SharedStoreLock.TryAcquire(directory, brokerName, out var holder);
            return Task.FromResult(_held is null ? $"held by {holder?.Describe() ?? "another broker"}" : null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StoreUnreachableException($"the shared store cannot be reached: {e.Message}", e);
        }
    }

    public async Task<string> HoldAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(keepAlivePeriod);
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            try
            {
                _held?.KeepAlive();
            }
            catch (StoreLockLostException e)
            {
                return e.Message;
            }
        }
        throw new OperationCanceledException(cancellationToken);
    }

    public Task ReleaseAsync()
    {
        _held?.Dispose();
        _held = null;
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync() => new(ReleaseAsync());
}

/// <summary>
/// Database: the lease row (<see cref="PostgresLease"/>). It is renewed every <c>LeaseRenewal</c>; when renewals fail
/// (the database is away) the claim counts as lost before the lease could expire, so another broker never serves
/// while this one still thinks it does. The store's commits check the same lease on their own.
/// </summary>
internal sealed class LeaseClaim(PostgresLease lease) : IStoreClaim
{
    private readonly TimeSpan _renewal = lease.Renewal;
    private readonly TimeSpan _duration = lease.Duration;
    private bool _held;
    private bool _prepared;
    private DateTime _renewedFrom;

    /// <summary>A claim on the lease row of <paramref name="connectionString"/> for <paramref name="brokerName"/>, a new holder id each start.</summary>
    public static LeaseClaim For(string connectionString, string brokerName, HaSettings settings, bool earlyTakeover) =>
        new(new PostgresLease(connectionString, $"{brokerName}-{Guid.NewGuid():N}", brokerName, settings.LeaseDuration, settings.LeaseRenewal, earlyTakeover));

    public ValueTask DisposeAsync() => lease.DisposeAsync();

    public (string Reason, DateTimeOffset Since)? RenewalFailure { get; private set; }

    // How long one renewal may take: a renewal period, but never less than a second (a busy database is not a dead one).
    private TimeSpan Patience => _renewal > TimeSpan.FromSeconds(1) ? _renewal : TimeSpan.FromSeconds(1);

    public string Holder => lease.Holder;

    /// <summary>Creates or migrates the database's tables, the lease row among them (once per claim).</summary>
    /// <exception cref="PostgresSchemaTooNewException">The database's schema is newer than this code.</exception>
    /// <exception cref="PostgresStoreException">The database cannot be reached.</exception>
    public async Task PrepareAsync(CancellationToken cancellationToken)
    {
        if (!_prepared)
        {
            await PostgresStore.MigrateAsync(lease.ConnectionString, cancellationToken);
            _prepared = true;
        }
    }

    /// <summary>Claims the row, creating or migrating the database's tables first.</summary>
    /// <exception cref="PostgresSchemaTooNewException">The database's schema is newer than this code.</exception>
    public async Task<string?> TryClaimAsync(CancellationToken cancellationToken)
    {
        try
        {
            await PrepareAsync(cancellationToken);
            var sent = DateTime.UtcNow;
            var (acquired, holder) = await lease.TryAcquireAsync(cancellationToken);
            _held = acquired;
            if (acquired)
            {
                _renewedFrom = sent;
            }
            return acquired ? null : $"lease held by {holder?.Describe() ?? "another broker"}";
        }
        catch (PostgresStoreException e) when (e is not PostgresSchemaTooNewException)
        {
            throw new StoreUnreachableException(e.Message, e);
        }
    }

    /// <summary>
    /// Renews every renewal period. The lease runs from when a successful renewal was sent (the database ran it no
    /// sooner), so the claim counts as lost at that moment + duration - renewal, before the database's expiry, by a
    /// timer of its own: a renewal that hangs is cancelled at the deadline, never waited out past it.
    /// </summary>
    public async Task<string> HoldAsync(CancellationToken cancellationToken)
    {
        string? failure = null;
        while (true)
        {
            var deadline = _renewedFrom + _duration - _renewal;
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                _held = false;
                return $"the lease could not be renewed for {(DateTime.UtcNow - _renewedFrom).TotalSeconds:0.#} s ({failure ?? "no answer"})";
            }
            await Task.Delay(left < _renewal ? left : _renewal, cancellationToken);
            var sent = DateTime.UtcNow;
            if (sent >= deadline)
            {
                continue;
            }
            // One renewal at a time on the lease's connection: a slow one is cancelled, never left running beside the next.
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attempt.CancelAfter(deadline - sent < Patience ? deadline - sent : Patience);
            try
            {
                if (await lease.RenewAsync(attempt.Token))
                {
                    _renewedFrom = sent;
                    failure = null;
                    RenewalFailure = null;
                    continue;
                }
                _held = false;
                return "the lease expired and is no longer this broker's";
            }
            catch (Exception e) when (e is PostgresStoreException or TimeoutException
                                         || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                failure = e is PostgresStoreException ? e.Message : $"no answer within {Patience.TotalMilliseconds:0} ms";
                RenewalFailure = (failure, RenewalFailure?.Since ?? DateTimeOffset.UtcNow);
            }
        }
    }

    public async Task ReleaseAsync()
    {
        RenewalFailure = null;
        if (!_held)
        {
            return;
        }
        _held = false;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await lease.ReleaseAsync(timeout.Token);
        }
        catch (Exception e) when (e is PostgresStoreException or OperationCanceledException)
        {
            // Unreachable: the lease simply expires.
        }
    }
}
