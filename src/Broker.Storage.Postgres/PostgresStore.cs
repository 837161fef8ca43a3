using System.Buffers;
using System.Diagnostics;
using Broker.Core.Messages;
using Broker.Core.Storage;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Broker.Storage.Postgres;

/// <summary>What a PostgreSQL store connects to and checks on every commit.</summary>
public sealed class PostgresStoreOptions
{
    /// <summary>Npgsql's connection string (ConnectionStrings:&lt;broker&gt;); its password is never logged.</summary>
    public required string ConnectionString { get; init; }

    /// <summary>Live bytes at which persistent messages are refused (0 = no limit).</summary>
    public long StoreLimit { get; init; }

    /// <summary>
    /// The lease holder this store writes for: every commit checks, in the same transaction, that this holder still
    /// holds an unexpired lease (the database's clock), so a broker that lost its lease cannot commit. Null: no check.
    /// </summary>
    public string? LeaseHolder { get; init; }

    /// <summary>Longest an acknowledgement waits to ride another write's commit (<see cref="StoreRecord.RidesNextCommit"/>).</summary>
    public TimeSpan AckFlushDelay { get; init; } = TimeSpan.FromMilliseconds(20);
}

/// <summary>
/// The message store in PostgreSQL, behind the same <see cref="IMessageStore"/> seam as the journal. A record is
/// encoded as the journal encodes it and kept as one row while recovery needs it (<see cref="LiveRows"/>; a
/// transaction's operations are rows of their own, committed together). Appends are collected and written by one
/// flusher in a single database transaction each (group commit: however many sends wait, one commit, never one per
/// message); an append is durable when that commit returns. A failed commit stops the store: what was not
/// committed is not confirmed, and <see cref="Failed"/> tells the owner, which opens the store again to serve.
/// </summary>
public sealed class PostgresStore : IMessageStore
{
    private readonly NpgsqlDataSource _source;
    private readonly PostgresStoreOptions _options;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly LiveRows _rows = new();
    private readonly ArrayBufferWriter<byte> _scratch = new(64 * 1024);
    // Rows a record makes useless, reused by every append (under the lock: appends are on the hot path).
    private readonly List<long> _dropped = [];
    private readonly CancellationTokenSource _stop = new();
    private Dictionary<long, byte[]> _pendingRows = [];
    private HashSet<long> _pendingDrops = [];
    private HashSet<string> _pendingProducers = new(StringComparer.Ordinal);
    private readonly GroupCommit _commit;
    private long _nextSequence = 1;
    private Task? _flusher;
    private bool _replayed;

    private PostgresStore(NpgsqlDataSource source, PostgresStoreOptions options, string where, ILogger logger)
    {
        _source = source;
        _options = options;
        Where = where;
        _logger = logger;
        _commit = new GroupCommit(options.AckFlushDelay, asyncFlusher: true);
    }

    /// <summary>Host, port and database (no credentials): what logs and errors name.</summary>
    public string Where { get; }

    /// <summary>The epoch of the records written now (raised by <see cref="BeginEpochAsync"/> on each takeover).</summary>
    public long Epoch { get; private set; }

    public long UsedBytes
    {
        get
        {
            lock (_lock)
            {
                return _rows.Bytes;
            }
        }
    }

    public long Limit => _options.StoreLimit;

    public long LastSequence => Interlocked.Read(ref _nextSequence) - 1;

    /// <summary>Commits so far (each one a group of appends).</summary>
    public long CommitCount => Interlocked.Read(ref _commitCount);

    private long _commitCount;

    /// <summary>Raised once, from the flusher, when a commit failed: the store takes no more writes.</summary>
    public event Action<Exception>? Failed;

    /// <summary>Host, port and database of a connection string, for messages (never its password).</summary>
    public static string Describe(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        return $"PostgreSQL {builder.Host}:{builder.Port}/{builder.Database ?? builder.Username}";
    }

    /// <summary>Creates or migrates the schema (the lease table too) without opening the store.</summary>
    /// <exception cref="PostgresStoreException">Unreachable, refused, or a schema newer than this code.</exception>
    public static async Task MigrateAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        var where = Describe(connectionString);
        await using var source = NpgsqlDataSource.Create(connectionString);
        try
        {
            await PostgresSchema.MigrateAsync(source, where, cancellationToken);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            throw new PostgresStoreException($"the message store {where} cannot be opened: {e.Message}", e);
        }
    }

    /// <summary>Connects, creates or migrates the schema; <see cref="Replay"/> comes next.</summary>
    /// <exception cref="PostgresStoreException">Unreachable, refused, or a schema newer than this code.</exception>
    public static async Task<PostgresStore> OpenAsync(PostgresStoreOptions options, ILogger logger, CancellationToken cancellationToken = default)
    {
        var where = Describe(options.ConnectionString);
        var source = NpgsqlDataSource.Create(options.ConnectionString);
        try
        {
            await PostgresSchema.MigrateAsync(source, where, cancellationToken);
            return new PostgresStore(source, options, where, logger);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            await source.DisposeAsync();
            throw new PostgresStoreException($"the message store {where} cannot be opened: {e.Message}", e);
        }
        catch
        {
            await source.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Every live record, in sequence order, then each producer's mark; afterwards the store takes appends. Reads
    /// the table as one consistent snapshot.
    /// </summary>
    public IEnumerable<(long Sequence, StoreRecord Record)> Replay()
    {
        var clock = Stopwatch.StartNew();
        using var connection = _source.OpenConnection();
        using var transaction = connection.BeginTransaction(System.Data.IsolationLevel.RepeatableRead);
        // Numbering goes on after the highest row too: a counter behind its rows would make every insert collide.
        using (var state = new NpgsqlCommand(
            "SELECT greatest(last_sequence, (SELECT coalesce(max(sequence), 0) FROM broker_records)), epoch FROM broker_state WHERE id = 1", connection, transaction))
        using (var reader = state.ExecuteReader())
        {
            reader.Read();
            _nextSequence = reader.GetInt64(0) + 1;
            Epoch = reader.GetInt64(1);
        }
        var dropped = new List<long>();
        using (var rows = new NpgsqlCommand("SELECT sequence, record FROM broker_records ORDER BY sequence", connection, transaction))
        using (var reader = rows.ExecuteReader(System.Data.CommandBehavior.SequentialAccess))
        {
            while (reader.Read())
            {
                var sequence = reader.GetInt64(0);
                var bytes = reader.GetFieldValue<byte[]>(1);
                var record = Decode(bytes, sequence);
                lock (_lock)
                {
                    if (!_rows.Fold(sequence, record, bytes.Length, dropped))
                    {
                        // A row nothing needs (a crash between its insert and its delete): the first commit deletes it.
                        dropped.Add(sequence);
                    }
                }
                yield return (sequence, record);
            }
        }
        var marks = new List<(long, StoreRecord)>();
        using (var producers = new NpgsqlCommand("SELECT producer_id, producer_sequence, sequence FROM broker_producers", connection, transaction))
        using (var reader = producers.ExecuteReader())
        {
            while (reader.Read())
            {
                marks.Add((reader.GetInt64(2), new ProducerMarkRecord(reader.GetString(0), reader.GetInt64(1))));
            }
        }
        foreach (var (sequence, mark) in marks)
        {
            lock (_lock)
            {
                _rows.Fold(sequence, mark, 0, dropped);
            }
            // After the messages: a producer's window starts at its oldest live message, then sees through its mark.
            yield return (sequence, mark);
        }
        lock (_lock)
        {
            // Rows a crash left that nothing needs (none, normally): the first commit deletes them.
            _pendingDrops.UnionWith(dropped);
            _commit.Reset(_nextSequence - 1);
            _replayed = true;
        }
        PostgresStoreLog.Replayed(_logger, Where, PostgresSchema.Version, _rows.Rows, _nextSequence - 1, Epoch, clock.ElapsedMilliseconds);
        _flusher = Task.Run(FlushLoopAsync);
    }

    /// <summary>Starts a new epoch (a broker taking the store over); durable when it returns.</summary>
    public async Task<long> BeginEpochAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await _source.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            $"UPDATE broker_state SET epoch = epoch + 1 WHERE id = 1 AND {LeaseCheck} RETURNING epoch", connection);
        command.Parameters.Add(new NpgsqlParameter<string?>("holder", NpgsqlDbType.Text) { TypedValue = _options.LeaseHolder });
        var epoch = await command.ExecuteScalarAsync(cancellationToken)
            ?? throw new PostgresStoreException($"the message store {Where}: the lease is not held by {_options.LeaseHolder}; not starting an epoch");
        lock (_lock)
        {
            Epoch = (long)epoch;
        }
        return Epoch;
    }

    public StoreTicket Append(StoreRecord record)
    {
        lock (_lock)
        {
            if (!_replayed)
            {
                throw new InvalidOperationException("the store must be replayed before it is appended to");
            }
            if (_commit.Failure is { } failure)
            {
                throw new StoreFullException(failure.Message);
            }
            var addsData = record is MessageAddedRecord or TransactionRecord;
            if (addsData && _options.StoreLimit > 0 && _rows.Bytes >= _options.StoreLimit)
            {
                throw new StoreFullException($"the store limit ({_options.StoreLimit} bytes) is reached; persistent messages are refused until consumers catch up");
            }
            var sequence = _nextSequence;
            if (record is TransactionRecord transaction)
            {
                for (var i = 0; i < transaction.Operations.Count; i++)
                {
                    Place(sequence + i, transaction.Operations[i]);
                }
            }
            else
            {
                Place(sequence, record);
            }
            Interlocked.Exchange(ref _nextSequence, sequence + record.SequenceCount);
            return new StoreTicket(sequence, _commit.Placed(record));
        }
    }

    public Task WhenDurable(long sequence)
    {
        lock (_lock)
        {
            return _commit.WhenDurable(sequence);
        }
    }

    public Message ReadMessage(long sequence)
    {
        // Appended a moment ago: its row is written by the coming commit.
        WhenDurable(sequence).GetAwaiter().GetResult();
        using var connection = _source.OpenConnection();
        using var command = new NpgsqlCommand("SELECT record FROM broker_records WHERE sequence = @sequence", connection);
        command.Parameters.Add(new NpgsqlParameter<long>("sequence", sequence));
        return command.ExecuteScalar() is byte[] bytes && Decode(bytes, sequence) is MessageAddedRecord added
            ? added.Message
            : throw new InvalidOperationException($"the message store {Where} holds no message with sequence {sequence}");
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_flusher is not null)
        {
            await _flusher.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        await _source.DisposeAsync();
        _stop.Dispose();
    }

    /// <summary>One record (or a transaction's operation) into the pending commit; under the lock.</summary>
    private void Place(long sequence, StoreRecord record)
    {
        _scratch.ResetWrittenCount();
        var length = RecordCodec.Write(_scratch, record, Epoch, sequence);
        var dropped = _dropped;
        dropped.Clear();
        if (_rows.Fold(sequence, record, length, dropped, _pendingProducers))
        {
            _pendingRows[sequence] = _scratch.WrittenSpan.ToArray();
        }
        foreach (var row in dropped)
        {
            // A row still waiting for its commit is never written at all.
            if (!_pendingRows.Remove(row))
            {
                _pendingDrops.Add(row);
            }
        }
    }

    // The lease check every write carries: no holder configured, or it still holds the lease by the database's clock.
    private const string LeaseCheck =
        "(@holder IS NULL OR EXISTS (SELECT 1 FROM broker_lease WHERE id = 1 AND holder = @holder AND expires_at > clock_timestamp()))";

    private async Task FlushLoopAsync()
    {
        while (true)
        {
            Dictionary<long, byte[]> rows = [];
            HashSet<long> drops = [];
            List<(string Id, long ProducerSequence, long Sequence)> producers = [];
            (TaskCompletionSource Batch, long Last)? taken;
            int waitMs;
            lock (_lock)
            {
                var pending = _pendingRows.Count > 0 || _pendingDrops.Count > 0 || _pendingProducers.Count > 0
                    || _nextSequence - 1 != _commit.DurableSequence;
                taken = _commit.Take(pending, _nextSequence - 1, _stop.IsCancellationRequested, out waitMs);
                if (taken is not null)
                {
                    (rows, _pendingRows) = (_pendingRows, []);
                    (drops, _pendingDrops) = (_pendingDrops, []);
                    producers = [.. _pendingProducers.Select(id => (id, _rows.Producers[id].ProducerSequence, _rows.Producers[id].Sequence))];
                    _pendingProducers.Clear();
                }
            }
            if (taken is not var (batch, last))
            {
                if (waitMs == 0)
                {
                    return;
                }
                await _commit.WaitAsync(waitMs, _stop.Token);
                continue;
            }
            try
            {
                await CommitAsync(rows, drops, producers, last);
                lock (_lock)
                {
                    _commit.Flushed(last);
                }
                Interlocked.Increment(ref _commitCount);
                batch.TrySetResult();
            }
            catch (Exception e)
            {
                Fail(e);
                return;
            }
        }
    }

    /// <summary>
    /// One group commit in one round trip: BEGIN, the lease check (it raises when the lease is not this writer's, and
    /// the rest of the batch, COMMIT included, is then skipped), the new rows, the rows no longer needed, the producers'
    /// marks, COMMIT.
    /// </summary>
    private async Task CommitAsync(Dictionary<long, byte[]> rows, HashSet<long> drops, List<(string Id, long ProducerSequence, long Sequence)> producers, long last)
    {
        await using var connection = await _source.OpenConnectionAsync();
        await using var batch = new NpgsqlBatch(connection);
        batch.BatchCommands.Add(new NpgsqlBatchCommand("BEGIN"));
        var check = new NpgsqlBatchCommand("SELECT broker_commit_check(@holder, @last)");
        check.Parameters.Add(new NpgsqlParameter<string?>("holder", NpgsqlDbType.Text) { TypedValue = _options.LeaseHolder });
        check.Parameters.Add(new NpgsqlParameter<long>("last", last));
        batch.BatchCommands.Add(check);
        if (rows.Count > 0)
        {
            var insert = new NpgsqlBatchCommand("INSERT INTO broker_records (sequence, epoch, record) SELECT s, @epoch, r FROM unnest(@sequences, @records) AS t(s, r)");
            insert.Parameters.Add(new NpgsqlParameter<long>("epoch", Epoch));
            insert.Parameters.Add(new NpgsqlParameter<long[]>("sequences", [.. rows.Keys]));
            insert.Parameters.Add(new NpgsqlParameter<byte[][]>("records", [.. rows.Values]));
            batch.BatchCommands.Add(insert);
        }
        if (drops.Count > 0)
        {
            var delete = new NpgsqlBatchCommand("DELETE FROM broker_records WHERE sequence = ANY(@drops)");
            delete.Parameters.Add(new NpgsqlParameter<long[]>("drops", [.. drops]));
            batch.BatchCommands.Add(delete);
        }
        if (producers.Count > 0)
        {
            var marks = new NpgsqlBatchCommand(
                "INSERT INTO broker_producers SELECT * FROM unnest(@ids, @producerSequences, @sequences) " +
                "ON CONFLICT (producer_id) DO UPDATE SET producer_sequence = excluded.producer_sequence, sequence = excluded.sequence");
            marks.Parameters.Add(new NpgsqlParameter<string[]>("ids", [.. producers.Select(p => p.Id)]));
            marks.Parameters.Add(new NpgsqlParameter<long[]>("producerSequences", [.. producers.Select(p => p.ProducerSequence)]));
            marks.Parameters.Add(new NpgsqlParameter<long[]>("sequences", [.. producers.Select(p => p.Sequence)]));
            batch.BatchCommands.Add(marks);
        }
        batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
        try
        {
            await batch.ExecuteNonQueryAsync();
        }
        catch (PostgresException e) when (e.SqlState == "BR001")
        {
            throw new PostgresStoreException(e.MessageText, e);
        }
    }

    private void Fail(Exception e)
    {
        var reason = e is PostgresStoreException ? e.Message : $"{e.GetType().Name}: {e.Message}";
        PostgresStoreLog.CommitFailed(_logger, Where, reason);
        var failure = new StoreFullException($"the message store {Where} cannot be written: {reason}");
        (TaskCompletionSource? InFlight, TaskCompletionSource Next) failed;
        lock (_lock)
        {
            failed = _commit.Fail(failure);
        }
        failed.InFlight?.TrySetException(failure);
        failed.Next.TrySetException(failure);
        Failed?.Invoke(failure);
    }

    private static StoreRecord Decode(byte[] bytes, long sequence)
    {
        var header = RecordCodec.ReadHeader(bytes);
        if (!RecordCodec.IsValid(bytes, header) || header.Sequence != sequence)
        {
            throw new PostgresStoreException($"the row of sequence {sequence} does not hold a whole record of that sequence");
        }
        return RecordCodec.Decode(header, bytes.AsSpan(RecordCodec.HeaderSize, header.Length));
    }

}
