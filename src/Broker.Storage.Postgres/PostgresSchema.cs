using Npgsql;

namespace Broker.Storage.Postgres;

/// <summary>
/// The store's tables, created and migrated by the broker: <c>broker_schema</c> holds the version. Migrations run
/// in one transaction under an advisory lock, so two brokers starting together migrate once. A database whose
/// schema is newer than this code refuses to start: an older broker must not write a layout it does not know.
/// </summary>
internal static class PostgresSchema
{
    public const int Version = 1;

    // An arbitrary constant: the advisory lock every broker of this code takes while it migrates.
    private const long MigrationLock = 0x42524b_53434d41;

    private static readonly string[] Migrations =
    [
        // 1: records as the journal writes them (one row per live record), the store's counters, producers' marks, the lease.
        """
        CREATE TABLE broker_records (sequence bigint PRIMARY KEY, epoch bigint NOT NULL, record bytea NOT NULL);
        CREATE TABLE broker_state (id int PRIMARY KEY CHECK (id = 1), last_sequence bigint NOT NULL, epoch bigint NOT NULL);
        INSERT INTO broker_state VALUES (1, 0, 0);
        CREATE TABLE broker_producers (producer_id text PRIMARY KEY, producer_sequence bigint NOT NULL, sequence bigint NOT NULL);
        CREATE TABLE broker_lease (id int PRIMARY KEY CHECK (id = 1), holder text, broker text, host text, pid int,
            acquired_at timestamptz, renewed_at timestamptz, expires_at timestamptz, session_pid int);
        INSERT INTO broker_lease (id) VALUES (1);
        -- Every group commit starts here: the counter moves only while the writer holds the lease (if it names one).
        CREATE FUNCTION broker_commit_check(p_holder text, p_last bigint) RETURNS void LANGUAGE plpgsql AS $$
        BEGIN
            -- FOR SHARE: a broker taking the lease waits until this commit is done, so it replays what it wrote.
            UPDATE broker_state SET last_sequence = p_last WHERE id = 1 AND (p_holder IS NULL OR EXISTS
                (SELECT 1 FROM broker_lease WHERE id = 1 AND holder = p_holder AND expires_at > clock_timestamp() FOR SHARE));
            IF NOT FOUND THEN
                RAISE EXCEPTION 'the lease is not held by %', p_holder USING ERRCODE = 'BR001';
            END IF;
        END $$;
        """,
    ];

    /// <exception cref="PostgresStoreException">The schema is newer than this code understands.</exception>
    public static async Task MigrateAsync(NpgsqlDataSource source, string where, CancellationToken cancellationToken)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await Execute(connection, $"SELECT pg_advisory_xact_lock({MigrationLock})", cancellationToken);
        await Execute(connection, "CREATE TABLE IF NOT EXISTS broker_schema (version int NOT NULL)", cancellationToken);
        await using (var read = new NpgsqlCommand("SELECT coalesce(max(version), 0) FROM broker_schema", connection))
        {
            var current = Convert.ToInt32(await read.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
            if (current > Version)
            {
                throw new PostgresSchemaTooNewException(
                    $"the message store at {where} has schema version {current}, newer than this broker understands ({Version}); run the newer broker, or restore the database");
            }
            for (var version = current + 1; version <= Version; version++)
            {
                await Execute(connection, Migrations[version - 1], cancellationToken);
                await Execute(connection, $"INSERT INTO broker_schema VALUES ({version})", cancellationToken);
            }
        }
        await transaction.CommitAsync(cancellationToken);
    }

    private static async Task Execute(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

/// <summary>The PostgreSQL store cannot be used (unreachable, refused, a schema it does not know); the message says which database.</summary>
public class PostgresStoreException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The database's schema is newer than this code understands: waiting will not help, the broker must not start.</summary>
public sealed class PostgresSchemaTooNewException(string message) : PostgresStoreException(message);
