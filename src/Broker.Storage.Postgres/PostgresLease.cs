using System.Globalization;
using Npgsql;
using NpgsqlTypes;

namespace Broker.Storage.Postgres;

/// <summary>Who holds a lease and until when (the database's clock).</summary>
public sealed record LeaseHolder(string Holder, string Broker, string Host, int Pid, DateTimeOffset? ExpiresAt)
{
    /// <summary>Who, without the expiry: a waiting broker restates it on every attempt, and it must read the same while the holder renews.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture, $"{Broker} on {Host} (pid {Pid})");
}

/// <summary>
/// ActiveMQ's lease-database-locker: one row (<c>broker_lease</c>) names the broker that may serve and until when, by
/// the database's clock, so the brokers' clocks never matter. A broker takes the row when it is free or expired, renews
/// it well before it expires, and lets it go when it stops. The holder writes the row through a connection of its own
/// and records that session's backend pid in it; with <c>earlyTakeover</c>, a waiting broker also takes the row when
/// that session no longer exists (the database ends it when the holder's process dies and its socket closes) and
/// the holder missed two renewals, without waiting for the expiry. A holder cut off from the database keeps its
/// session until TCP gives up, so then the expiry decides. The store checks the row on every commit, so a broker whose
/// row was taken cannot write even before it notices. Calls are one at a time.
/// </summary>
public sealed class PostgresLease : IAsyncDisposable
{
    private readonly NpgsqlDataSource _source;
    private readonly string _broker;
    private readonly bool _earlyTakeover;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private NpgsqlConnection? _session;

    public PostgresLease(string connectionString, string holder, string broker, TimeSpan duration, TimeSpan renewal, bool earlyTakeover)
    {
        _source = NpgsqlDataSource.Create(connectionString);
        ConnectionString = connectionString;
        Holder = holder;
        _broker = broker;
        Duration = duration;
        Renewal = renewal;
        _earlyTakeover = earlyTakeover;
        Where = PostgresStore.Describe(connectionString);
    }

    /// <summary>How long the lease lasts without renewal, by the database's clock.</summary>
    public TimeSpan Duration { get; }

    /// <summary>How often its holder renews it.</summary>
    public TimeSpan Renewal { get; }

    /// <summary>This broker's holder id (unique per start: a restarted broker is a new holder).</summary>
    public string Holder { get; }

    public string Where { get; }

    /// <summary>The database it leases in (never logged: it may hold a password).</summary>
    public string ConnectionString { get; }

    /// <summary>Takes the lease when it is free, expired, already ours, or (early takeover) its holder is dead; otherwise returns who holds it.</summary>
    /// <exception cref="PostgresStoreException">The database cannot be reached, or has no lease table yet.</exception>
    public async Task<(bool Acquired, LeaseHolder? Holder)> TryAcquireAsync(CancellationToken cancellationToken)
    {
        var taken = await ExecuteAsync(
            "UPDATE broker_lease SET holder = @holder, broker = @broker, host = @host, pid = @pid, acquired_at = clock_timestamp(), " +
            "renewed_at = clock_timestamp(), expires_at = clock_timestamp() + @duration, session_pid = pg_backend_pid() " +
            "WHERE id = 1 AND (holder IS NULL OR holder = @holder OR expires_at <= clock_timestamp() " +
            "OR (@early AND renewed_at < clock_timestamp() - 2 * @renewal " +
            "AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = broker_lease.session_pid)))", cancellationToken);
        return taken == 1 ? (true, null) : (false, await CurrentAsync(cancellationToken));
    }

    /// <summary>Extends the lease; false when it is not ours any more (expired or taken).</summary>
    public async Task<bool> RenewAsync(CancellationToken cancellationToken) =>
        await ExecuteAsync(
            "UPDATE broker_lease SET renewed_at = clock_timestamp(), expires_at = clock_timestamp() + @duration, session_pid = pg_backend_pid() " +
            "WHERE id = 1 AND holder = @holder AND expires_at > clock_timestamp()", cancellationToken) == 1;

    /// <summary>Frees the lease if it is ours, so a waiting broker need not wait for it to expire.</summary>
    public async Task ReleaseAsync(CancellationToken cancellationToken)
    {
        try
        {
            await ExecuteAsync("UPDATE broker_lease SET holder = NULL, expires_at = NULL, session_pid = NULL WHERE id = 1 AND holder = @holder", cancellationToken);
        }
        finally
        {
            await _gate.WaitAsync(CancellationToken.None);
            try
            {
                await CloseSessionAsync();
            }
            finally
            {
                _gate.Release();
            }
        }
    }

    /// <summary>Who holds the lease now (null when nobody does).</summary>
    public async Task<LeaseHolder?> CurrentAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var session = await SessionAsync(cancellationToken);
            await using var command = new NpgsqlCommand(
                "SELECT holder, broker, host, pid, expires_at FROM broker_lease WHERE id = 1 AND holder IS NOT NULL", session);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            return await reader.ReadAsync(cancellationToken)
                ? new LeaseHolder(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3),
                    reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4))
                : null;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            await CloseSessionAsync();
            throw new PostgresStoreException($"{Where} cannot be reached: {e.Message}", e);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await CloseSessionAsync();
        await _source.DisposeAsync();
    }

    private async Task<int> ExecuteAsync(string sql, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var session = await SessionAsync(cancellationToken);
            await using var command = new NpgsqlCommand(sql, session);
            command.Parameters.Add(new NpgsqlParameter<string>("holder", Holder));
            command.Parameters.Add(new NpgsqlParameter<string>("broker", _broker));
            command.Parameters.Add(new NpgsqlParameter<string>("host", Environment.MachineName));
            command.Parameters.Add(new NpgsqlParameter<int>("pid", Environment.ProcessId));
            command.Parameters.Add(new NpgsqlParameter<TimeSpan>("duration", NpgsqlDbType.Interval) { TypedValue = Duration });
            command.Parameters.Add(new NpgsqlParameter<TimeSpan>("renewal", NpgsqlDbType.Interval) { TypedValue = Renewal });
            command.Parameters.Add(new NpgsqlParameter<bool>("early", _earlyTakeover));
            return await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException
                                     || (e is OperationCanceledException && _session is not null))
        {
            // A broken or cancelled session is not used again: the next call opens a new one (and records its pid).
            await CloseSessionAsync();
            if (e is OperationCanceledException)
            {
                throw;
            }
            throw new PostgresStoreException($"{Where} cannot be reached: {e.Message}", e);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The connection the lease is written through (its backend pid is the holder's session); under the gate.</summary>
    private async Task<NpgsqlConnection> SessionAsync(CancellationToken cancellationToken)
    {
        try
        {
            return _session ??= await _source.OpenConnectionAsync(cancellationToken);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            throw new PostgresStoreException($"{Where} cannot be reached: {e.Message}", e);
        }
    }

    private async Task CloseSessionAsync()
    {
        if (_session is { } session)
        {
            _session = null;
            await session.DisposeAsync();
        }
    }
}
