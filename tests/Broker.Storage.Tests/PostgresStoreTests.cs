using System.Text;
using Broker.Core.Messages;
using Broker.Core.Storage;
using Broker.Storage.Postgres;
using Broker.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Broker.Storage.Tests;

/// <summary>One private PostgreSQL server for the class (initdb takes a second or two); each test has its own database.</summary>
public sealed class PostgresServer : IAsyncLifetime
{
    public PrivatePostgres Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await PrivatePostgres.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();

    public Task<string> NewDatabaseAsync() => Server.CreateDatabaseAsync();
}

/// <summary>The message store in a real PostgreSQL: what recovery reads back, group commit, live rows only, the schema's version.</summary>
public sealed class PostgresStoreTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    private static readonly QueueKey Orders = QueueKey.ForQueue("orders");

    [Fact]
    public async Task WhatWasCommitted_IsWhatRecoveryReads_RemovedMessagesAndTheirMarksGone()
    {
        var database = await postgres.NewDatabaseAsync();
        long last;
        await using (var store = await OpenAsync(database))
        {
            Recover(store);
            store.Append(new DestinationCreatedRecord(DestinationName.Queue("orders")));
            var first = store.Append(Added("m1", "p", 1)).Sequence;
            var second = store.Append(Added("m2", "p", 2)).Sequence;
            store.Append(new MessageDeliveredRecord(Orders, first, 1));
            store.Append(new MessageDeliveredRecord(Orders, second, 1));
            store.Append(new MessageDeliveredRecord(Orders, second, 2));
            store.Append(new MessageRemovedRecord(Orders, first, RemovalReason.Acknowledged));
            var transaction = store.Append(new TransactionRecord([Added("m3", "q", 7), Added("m4", "q", 8), new MessageRemovedRecord(Orders, second, RemovalReason.Acknowledged)]));
            store.Append(new MessageRemovedRecord(Orders, transaction.Sequence, RemovalReason.Acknowledged));
            await store.Append(new TransactionCommittedRecord("u", "tx-1", 1)).Durable;
            last = store.LastSequence;
        }

        await using var reopened = await OpenAsync(database);
        var state = Recover(reopened);

        Assert.Equal(last, reopened.LastSequence);
        var queue = Assert.Single(state.Queues);
        Assert.Equal(["m4"], queue.Messages.Values.Select(m => m.Message.MessageId));
        Assert.Contains(DestinationName.Queue("orders"), state.Destinations);
        Assert.Equal(["tx-1"], state.CommittedTransactions.Select(c => c.TransactionId));
        Assert.True(state.Producers["p"].Contains(2), "producer p's mark survives its consumed messages");
        Assert.True(state.Producers["q"].Contains(8));
        // Rows: the destination, m4, the commit. Removed messages, their marks and every removal are gone.
        Assert.Equal(3, await CountRowsAsync(database));
    }

    [Fact]
    public async Task ScheduledJobs_KeepTheirRowAndLatestAdvance_UntilTheyEnd()
    {
        var database = await postgres.NewDatabaseAsync();
        var start = new Broker.Core.Scheduling.JobPosition(1000, 3, 0, 0);
        await using (var store = await OpenAsync(database))
        {
            Recover(store);
            store.Append(new JobScheduledRecord(ScheduledJobStorageTests.Job("kept"), start));
            store.Append(new JobScheduledRecord(ScheduledJobStorageTests.Job("cancelled"), start));
            store.Append(new JobScheduledRecord(ScheduledJobStorageTests.Job("done"), start));
            store.Append(new TransactionRecord([Added("k1", null, 0), new JobAdvancedRecord("kept", start with { RepeatsLeft = 2, Fired = 1 })]));
            store.Append(new TransactionRecord([Added("k2", null, 0), new JobAdvancedRecord("kept", start with { RepeatsLeft = 1, Fired = 2 })]));
            store.Append(new JobRemovedRecord("cancelled", JobRemovalReason.Cancelled));
            await store.Append(new TransactionRecord([Added("d1", null, 0), new JobRemovedRecord("done", JobRemovalReason.Completed)])).Durable;
        }

        await using var reopened = await OpenAsync(database);
        var state = Recover(reopened);

        var job = Assert.Single(state.Jobs);
        Assert.Equal(("kept", 1, 2L), (job.Job.JobId, job.Position.RepeatsLeft, job.Position.Fired));
        // Rows: the kept job, its latest advance, three delivered messages.
        Assert.Equal(5, await CountRowsAsync(database));
    }

    [Fact]
    public async Task ManyConcurrentSends_ShareCommits()
    {
        var database = await postgres.NewDatabaseAsync();
        await using var store = await OpenAsync(database);
        Recover(store);

        var sends = Enumerable.Range(0, 500).Select(i => store.Append(Added($"m{i}", null, 0)).Durable).ToList();
        await Task.WhenAll(sends);

        Assert.InRange(store.CommitCount, 1, 20);
        Assert.Equal(500, await CountRowsAsync(database));
    }

    [Fact]
    public async Task APagedBody_IsReadBackFromTheTable()
    {
        var database = await postgres.NewDatabaseAsync();
        await using var store = await OpenAsync(database);
        Recover(store);

        var ticket = store.Append(Added("m1", null, 0, "the body"));

        Assert.Equal("the body", Encoding.UTF8.GetString(store.ReadMessage(ticket.Sequence).Body.Span));
    }

    [Fact]
    public async Task ASchemaNewerThanTheCode_RefusesToOpen_NamingTheDatabase()
    {
        var database = await postgres.NewDatabaseAsync();
        await PostgresStore.MigrateAsync(database);
        await ExecuteAsync(database, "INSERT INTO broker_schema VALUES (99)");

        var refused = await Assert.ThrowsAsync<PostgresSchemaTooNewException>(() => OpenAsync(database));

        Assert.Contains("schema version 99", refused.Message);
        Assert.Contains($"127.0.0.1:{postgres.Server.Port}/", refused.Message);
    }

    [Fact]
    public async Task ALeaseThatExpired_FailsTheNextCommit_NothingIsConfirmed()
    {
        var database = await postgres.NewDatabaseAsync();
        await PostgresStore.MigrateAsync(database);
        await using var lease = new PostgresLease(database, "holder-a", "b1", TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(10), earlyTakeover: true);
        Assert.True((await lease.TryAcquireAsync(CancellationToken.None)).Acquired);
        await using var store = await OpenAsync(database, "holder-a");
        Recover(store);
        var failed = new TaskCompletionSource<Exception>();
        store.Failed += e => failed.TrySetResult(e);
        await store.Append(Added("m1", null, 0)).Durable;

        await ExecuteAsync(database, "UPDATE broker_lease SET expires_at = clock_timestamp() - interval '1 second'");
        var send = store.Append(Added("m2", null, 0)).Durable;

        var refused = await Assert.ThrowsAsync<StoreFullException>(() => send.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("lease is not held by holder-a", refused.Message);
        await failed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Throws<StoreFullException>(() => store.Append(Added("m3", null, 0)));
        Assert.Equal(1, await CountRowsAsync(database));
    }

    [Fact]
    public async Task Lease_OneHolderAtATime_FreeAgainWhenReleasedOrExpired()
    {
        var database = await postgres.NewDatabaseAsync();
        await PostgresStore.MigrateAsync(database);
        await using var a = new PostgresLease(database, "holder-a", "b1", TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(10), earlyTakeover: true);
        await using var b = new PostgresLease(database, "holder-b", "b2", TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(100), earlyTakeover: true);

        Assert.True((await a.TryAcquireAsync(CancellationToken.None)).Acquired);
        var (acquired, holder) = await b.TryAcquireAsync(CancellationToken.None);
        Assert.False(acquired);
        Assert.Equal("b1", holder!.Broker);
        Assert.True(await a.RenewAsync(CancellationToken.None));

        await a.ReleaseAsync(CancellationToken.None);
        Assert.True((await b.TryAcquireAsync(CancellationToken.None)).Acquired);
        Assert.False(await a.RenewAsync(CancellationToken.None));

        // b's short lease runs out without renewal: a may take it.
        await Task.Delay(TimeSpan.FromMilliseconds(700));
        Assert.True((await a.TryAcquireAsync(CancellationToken.None)).Acquired);
        Assert.False(await b.RenewAsync(CancellationToken.None));
    }

    [Fact]
    public async Task AHolderWhoseProcessDied_IsReplacedAfterTwoSilentRenewalPeriods_NotAtTheExpiry()
    {
        var database = await postgres.NewDatabaseAsync();
        await PostgresStore.MigrateAsync(database);
        var dead = new PostgresLease(database, "holder-a", "b1", TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(200), earlyTakeover: true);
        Assert.True((await dead.TryAcquireAsync(CancellationToken.None)).Acquired);
        await using var waiting = new PostgresLease(database, "holder-b", "b2", TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(200), earlyTakeover: true);
        Assert.False((await waiting.TryAcquireAsync(CancellationToken.None)).Acquired);

        // Its connections close as a killed process's do; its row stays, unexpired for 30 s.
        await dead.DisposeAsync();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!(await waiting.TryAcquireAsync(CancellationToken.None)).Acquired)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), "the dead holder's lease was not taken over");
            await Task.Delay(50);
        }
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task WithoutEarlyTakeover_ADeadHoldersLeaseIsTakenOnlyAtItsExpiry()
    {
        var database = await postgres.NewDatabaseAsync();
        await PostgresStore.MigrateAsync(database);
        var dead = new PostgresLease(database, "holder-a", "b1", TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(100), earlyTakeover: false);
        Assert.True((await dead.TryAcquireAsync(CancellationToken.None)).Acquired);
        var acquiredAt = System.Diagnostics.Stopwatch.StartNew();
        await dead.DisposeAsync();
        await using var waiting = new PostgresLease(database, "holder-b", "b2", TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(100), earlyTakeover: false);

        while (!(await waiting.TryAcquireAsync(CancellationToken.None)).Acquired)
        {
            Assert.True(acquiredAt.Elapsed < TimeSpan.FromSeconds(10), "the expired lease was never taken");
            await Task.Delay(50);
        }

        // Taken no sooner than the expiry, by the database's clock (this clock started after the database's).
        Assert.True(acquiredAt.Elapsed >= TimeSpan.FromSeconds(1.9), $"taken after {acquiredAt.Elapsed.TotalMilliseconds:0} ms");
    }

    [Fact]
    public async Task ALiveHolderThatRenews_IsNeverReplacedBeforeItsExpiry()
    {
        var database = await postgres.NewDatabaseAsync();
        await PostgresStore.MigrateAsync(database);
        await using var live = new PostgresLease(database, "holder-a", "b1", TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100), earlyTakeover: true);
        await using var waiting = new PostgresLease(database, "holder-b", "b2", TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100), earlyTakeover: true);
        Assert.True((await live.TryAcquireAsync(CancellationToken.None)).Acquired);

        for (var i = 0; i < 10; i++)
        {
            await Task.Delay(100);
            Assert.True(await live.RenewAsync(CancellationToken.None));
            Assert.False((await waiting.TryAcquireAsync(CancellationToken.None)).Acquired);
        }
    }

    private static async Task<PostgresStore> OpenAsync(string connectionString, string? holder = null) =>
        await PostgresStore.OpenAsync(new PostgresStoreOptions { ConnectionString = connectionString, LeaseHolder = holder }, NullLogger.Instance);

    private static RecoveryState Recover(PostgresStore store)
    {
        var state = new RecoveryState(long.MaxValue);
        foreach (var (sequence, record) in store.Replay())
        {
            state.Apply(sequence, record);
        }
        return state;
    }

    private static MessageAddedRecord Added(string id, string? producer, long producerSequence, string body = "x") =>
        new(Orders, new Message { MessageId = id, Destination = DestinationName.Queue("orders"), Persistent = true, Body = Encoding.UTF8.GetBytes(body) }, producer, producerSequence);

    private static async Task<long> CountRowsAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM broker_records", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
