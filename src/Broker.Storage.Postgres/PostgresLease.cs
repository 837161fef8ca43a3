using System.Globalization;
using Npgsql;
using NpgsqlTypes;

namespace Broker.Storage.Postgres;

/// <summary>Who holds a lease and until when (the database's clock).</summary>
public sealed record LeaseHolder(string Holder, string Broker, string Host, int Pid, DateTimeOffset? ExpiresAt)
{
    public string Describe() => ExpiresAt is { } expires
        ? string.Create(CultureInfo.InvariantCulture, $"{Broker} on {Host} (pid {Pid}), lease until {expires:HH:mm:ss.fff} UTC")
        : $"{Broker} on {Host} (pid {Pid})";
}

/// <summary>
/// ActiveMQ's lease-database-locker: one row (<c>broker_lease</c>) names the broker that may serve and until when,
/// by the database's clock, so the brokers' clocks never matter. A broker takes the row only when it is free or
/// expired, renews it well before it expires, and lets it go when it stops. The store checks the same row on every
/// commit, so a broker whose lease expired cannot write even before it notices.
/// </summary>
public sealed class PostgresLease : IAsyncDisposable
{
    private readonly NpgsqlDataSource _source;
    private readonly string _broker;
    private readonly TimeSpan _duration;

    public PostgresLease(string connectionString, string holder, string broker, TimeSpan duration)
    {
        _source = NpgsqlDataSource.Create(connectionString);
        ConnectionString = connectionString;
        Holder = holder;
        _broker = broker;
        _duration = duration;
        Where = PostgresStore.Describe(connectionString);
    }

    /// <summary>This broker's holder id (unique per start: a restarted broker is a new holder).</summary>
    public string Holder { get; }

    public string Where { get; }

    /// <summary>The database it leases in (never logged: it may hold a password).</summary>
    public string ConnectionString { get; }

    /// <summary>Takes the lease when it is free, expired or already ours; otherwise returns who holds it.</summary>
    /// <exception cref="PostgresStoreException">The database cannot be reached, or has no lease table yet.</exception>
    public async Task<(bool Acquired, LeaseHolder? Holder)> TryAcquireAsync(CancellationToken cancellationToken)
    {
        var taken = await ExecuteAsync(
            "UPDATE broker_lease SET holder = @holder, broker = @broker, host = @host, pid = @pid, acquired_at = clock_timestamp(), " +
            "renewed_at = clock_timestamp(), expires_at = clock_timestamp() + @duration " +
            "WHERE id = 1 AND (holder IS NULL OR holder = @holder OR expires_at <= clock_timestamp())", cancellationToken);
        return taken == 1 ? (true, null) : (false, await CurrentAsync(cancellationToken));
    }

    /// <summary>Extends the lease; false when it is not ours any more (expired and maybe taken).</summary>
    public async Task<bool> RenewAsync(CancellationToken cancellationToken) =>
        await ExecuteAsync(
            "UPDATE broker_lease SET renewed_at = clock_timestamp(), expires_at = clock_timestamp() + @duration " +
            "WHERE id = 1 AND holder = @holder AND expires_at > clock_timestamp()", cancellationToken) == 1;

    /// <summary>Frees the lease if it is ours, so a waiting broker need not wait for it to expire.</summary>
    public async Task ReleaseAsync(CancellationToken cancellationToken) =>
        await ExecuteAsync("UPDATE broker_lease SET holder = NULL, expires_at = NULL WHERE id = 1 AND holder = @holder", cancellationToken);

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

    public ValueTask DisposeAsync() => _source.DisposeAsync();

    private async Task<int> ExecuteAsync(string sql, CancellationToken cancellationToken)
    {
        try
        {
            return await TryExecuteAsync(sql, cancellationToken);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            throw new PostgresStoreException($"{Where} cannot be reached: {e.Message}", e);
        }
    }

    private async Task<int> TryExecuteAsync(string sql, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(new NpgsqlParameter<string>("holder", Holder));
        command.Parameters.Add(new NpgsqlParameter<string>("broker", _broker));
        command.Parameters.Add(new NpgsqlParameter<string>("host", Environment.MachineName));
        command.Parameters.Add(new NpgsqlParameter<int>("pid", Environment.ProcessId));
        command.Parameters.Add(new NpgsqlParameter<TimeSpan>("duration", NpgsqlDbType.Interval) { TypedValue = _duration });
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
