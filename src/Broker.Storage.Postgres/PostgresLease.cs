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
/// ActiveMQ's lease-database-locker, made quicker to notice a dead holder: one row (<c>broker_lease</c>) names the
/// broker that may serve and until when, by the database's clock, so the brokers' clocks never matter. A broker takes
/// the row when it is free or expired, or when its holder is dead: every broker also keeps a session-level advisory
/// lock on a connection of its own, which the database drops the moment the holder's process dies (its socket
/// closes), so a holder that has neither renewed for two renewal periods nor kept its session is gone, without
/// waiting for the expiry. A holder cut off from the database keeps its session until TCP gives up, so then the
/// expiry decides. The store checks the row on every commit, so a broker whose row was taken cannot write even
/// before it notices.
/// </summary>
public sealed class PostgresLease : IAsyncDisposable
{
    private readonly NpgsqlDataSource _source;
    private readonly string _broker;
    private readonly TimeSpan _duration;
    private readonly TimeSpan _renewal;
    private NpgsqlConnection? _session;

    // One advisory lock per lease table (per schema), taken by the holder's own session.
    private const string SessionLock = "pg_try_advisory_lock(hashtext('broker_lease:' || current_schema()))";

    public PostgresLease(string connectionString, string holder, string broker, TimeSpan duration, TimeSpan renewal)
    {
        _source = NpgsqlDataSource.Create(connectionString);
        ConnectionString = connectionString;
        Holder = holder;
        _broker = broker;
        _duration = duration;
        _renewal = renewal;
        Where = PostgresStore.Describe(connectionString);
    }

    /// <summary>This broker's holder id (unique per start: a restarted broker is a new holder).</summary>
    public string Holder { get; }

    public string Where { get; }

    /// <summary>The database it leases in (never logged: it may hold a password).</summary>
    public string ConnectionString { get; }

    /// <summary>Takes the lease when it is free, expired, already ours, or its holder is dead; otherwise returns who holds it.</summary>
    /// <exception cref="PostgresStoreException">The database cannot be reached, or has no lease table yet.</exception>
    public async Task<(bool Acquired, LeaseHolder? Holder)> TryAcquireAsync(CancellationToken cancellationToken)
    {
        var holderGone = await HoldSessionAsync(cancellationToken);
        var taken = await ExecuteAsync(
            "UPDATE broker_lease SET holder = @holder, broker = @broker, host = @host, pid = @pid, acquired_at = clock_timestamp(), " +
            "renewed_at = clock_timestamp(), expires_at = clock_timestamp() + @duration " +
            "WHERE id = 1 AND (holder IS NULL OR holder = @holder OR expires_at <= clock_timestamp() " +
            "OR (@holderGone AND renewed_at < clock_timestamp() - 2 * @renewal))", cancellationToken, holderGone);
        return taken == 1 ? (true, null) : (false, await CurrentAsync(cancellationToken));
    }

    /// <summary>Extends the lease (and keeps its session); false when it is not ours any more (expired or taken).</summary>
    public async Task<bool> RenewAsync(CancellationToken cancellationToken)
    {
        await HoldSessionAsync(cancellationToken);
        return await ExecuteAsync(
            "UPDATE broker_lease SET renewed_at = clock_timestamp(), expires_at = clock_timestamp() + @duration " +
            "WHERE id = 1 AND holder = @holder AND expires_at > clock_timestamp()", cancellationToken) == 1;
    }

    /// <summary>
    /// Keeps this broker's session lock (taking it when no live session holds it): true when this session holds it,
    /// which for a waiting broker means the holder's session is gone. A lost connection is opened again next time.
    /// </summary>
    private async Task<bool> HoldSessionAsync(CancellationToken cancellationToken)
    {
        try
        {
            _session ??= await _source.OpenConnectionAsync(cancellationToken);
            await using var command = new NpgsqlCommand($"SELECT {SessionLock}", _session);
            return await command.ExecuteScalarAsync(cancellationToken) is true;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            await CloseSessionAsync();
            return false;
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

    /// <summary>Frees the lease if it is ours, so a waiting broker need not wait for it to expire.</summary>
    public async Task ReleaseAsync(CancellationToken cancellationToken)
    {
        await CloseSessionAsync();
        await ExecuteAsync("UPDATE broker_lease SET holder = NULL, expires_at = NULL WHERE id = 1 AND holder = @holder", cancellationToken);
    }

    /// <summary>Who holds the lease now (null when nobody does).</summary>
    public async Task<LeaseHolder?> CurrentAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            "SELECT holder, broker, host, pid, expires_at FROM broker_lease WHERE id = 1 AND holder IS NOT NULL", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new LeaseHolder(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3),
                reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4))
            : null;
    }

    public async ValueTask DisposeAsync()
    {
        await CloseSessionAsync();
        await _source.DisposeAsync();
    }

    private async Task<int> ExecuteAsync(string sql, CancellationToken cancellationToken, bool holderGone = false)
    {
        try
        {
            return await TryExecuteAsync(sql, holderGone, cancellationToken);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            throw new PostgresStoreException($"{Where} cannot be reached: {e.Message}", e);
        }
    }

    private async Task<int> TryExecuteAsync(string sql, bool holderGone, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(new NpgsqlParameter<string>("holder", Holder));
        command.Parameters.Add(new NpgsqlParameter<string>("broker", _broker));
        command.Parameters.Add(new NpgsqlParameter<string>("host", Environment.MachineName));
        command.Parameters.Add(new NpgsqlParameter<int>("pid", Environment.ProcessId));
        command.Parameters.Add(new NpgsqlParameter<TimeSpan>("duration", NpgsqlDbType.Interval) { TypedValue = _duration });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan>("renewal", NpgsqlDbType.Interval) { TypedValue = _renewal });
        command.Parameters.Add(new NpgsqlParameter<bool>("holderGone", holderGone));
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _source.OpenConnectionAsync(cancellationToken);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            throw new PostgresStoreException($"{Where} cannot be reached: {e.Message}", e);
        }
    }
}
