namespace Broker.Client.Tests;

/// <summary>
/// A link that dies while a COMMIT awaits its receipt: the client asks again on the next link and reports what the
/// broker says, committed or rolled back, never "unknown". A TCP proxy drops the link at the chosen frame.
/// </summary>
[Collection("Brokers")]
public sealed class CommitInDoubtTests
{
    private static readonly StompClientOptions Admin = StompClientOptions.Default with { Login = "admin", Passcode = "admin" };

    [Fact]
    public async Task Commit_ReceiptLost_AskedAgainAndReportedCommitted()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var host = await TestHost.StartAsync();
        await using var proxy = TcpProxy.Start(host.Port);
        await using var connection = await StompConnection.ConnectAsync($"failover:({proxy.Uri})?initialReconnectDelay=10&maxReconnectDelay=100", Admin, timeout.Token);
        var transaction = await connection.BeginTransactionAsync(timeout.Token);
        await transaction.SendAsync("/queue/in-doubt", "committed once", cancellationToken: timeout.Token);
        var receiptLost = proxy.DropAndCloseOnce(towardsServer: false, "receipt-id:commit-");

        await transaction.CommitAsync(timeout.Token);

        Assert.True(receiptLost.IsCompleted, "the proxy never saw the COMMIT's receipt: the link did not drop where intended");
        Assert.False(transaction.IsRolledBack);
        Assert.Equal(1, connection.Statistics.CommitsResolved);
        Assert.Equal(0, connection.Statistics.TransactionsRolledBack);
        Assert.Equal(["committed once"], await DrainAsync(connection, "/queue/in-doubt", timeout.Token));
    }

    [Fact]
    public async Task Commit_LostOnTheWayToTheBroker_AskedAgainAndReportedRolledBack()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var host = await TestHost.StartAsync();
        await using var proxy = TcpProxy.Start(host.Port);
        await using var connection = await StompConnection.ConnectAsync($"failover:({proxy.Uri})?initialReconnectDelay=10&maxReconnectDelay=100", Admin, timeout.Token);
        var transaction = await connection.BeginTransactionAsync(timeout.Token);
        await transaction.SendAsync("/queue/lost-commit", "never", cancellationToken: timeout.Token);
        var commitLost = proxy.DropAndCloseOnce(towardsServer: true, "COMMIT\n");

        var error = await Assert.ThrowsAsync<StompTransactionRolledBackException>(() => transaction.CommitAsync(timeout.Token));

        Assert.True(commitLost.IsCompleted, "the proxy never saw the COMMIT");
        Assert.Contains("repeated COMMIT", error.Message);
        Assert.True(transaction.IsRolledBack);
        Assert.Equal(1, connection.Statistics.CommitsResolved);
        Assert.Equal(1, connection.Statistics.TransactionsRolledBack);
        Assert.Empty(await DrainAsync(connection, "/queue/lost-commit", timeout.Token));
    }

    [Fact]
    public async Task Transaction_OpenWhenTheLinkDrops_ReportedRolledBack()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var host = await TestHost.StartAsync();
        await using var proxy = TcpProxy.Start(host.Port);
        await using var connection = await StompConnection.ConnectAsync($"failover:({proxy.Uri})?initialReconnectDelay=10&maxReconnectDelay=100", Admin, timeout.Token);
        var resumed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.ConnectionResumed += (_, _) => resumed.TrySetResult();
        var transaction = await connection.BeginTransactionAsync(timeout.Token);
        await transaction.SendAsync("/queue/open-tx", "never", cancellationToken: timeout.Token);

        proxy.Cut();
        proxy.Heal();
        await resumed.Task.WaitAsync(timeout.Token);

        await Assert.ThrowsAsync<StompTransactionRolledBackException>(() => transaction.CommitAsync(timeout.Token));
        Assert.True(transaction.IsRolledBack);
        Assert.Equal(0, connection.Statistics.CommitsResolved);
        Assert.Empty(await DrainAsync(connection, "/queue/open-tx", timeout.Token));
    }

    /// <summary>
    /// Two processes: the COMMIT's receipt is lost on its way back from the master, which is then killed; the
    /// promoted slave, which has the commit from the replicated journal, answers the repeated COMMIT with a RECEIPT.
    /// </summary>
    [Fact]
    public async Task Commit_ReceiptLostThenMasterKilled_PromotedSlaveReportsItCommitted()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(150));
        await using var master = await BrokerProcess.StartAsync(Replicas.Master(), timeout.Token);
        var slavePort = TestHost.FreePort();
        await using var slave = await BrokerProcess.StartAsync(Replicas.SlaveOf(master.Port, $"--Brokers:b1:Connectors:0=tcp://127.0.0.1:{slavePort}"), timeout.Token);
        await Replicas.WaitInSyncAsync(master, slave, timeout.Token);
        await using var proxy = TcpProxy.Start(master.Port);
        var uri = $"failover:({proxy.Uri},tcp://127.0.0.1:{slavePort})?randomize=false&initialReconnectDelay=10&maxReconnectDelay=200";
        await using var connection = await StompConnection.ConnectAsync(uri, Admin, timeout.Token);
        var transaction = await connection.BeginTransactionAsync(timeout.Token);
        await transaction.SendAsync("/queue/failover-commit", "on the slave", cancellationToken: timeout.Token);
        // The master stays unreachable from the moment the receipt is dropped: the repeated COMMIT can only go to the slave.
        var receiptLost = proxy.DropAndCloseOnce(towardsServer: false, "receipt-id:commit-", thenRefuse: true);

        var commit = transaction.CommitAsync(timeout.Token);
        await receiptLost.WaitAsync(timeout.Token);
        master.Kill();
        await commit;

        Assert.False(transaction.IsRolledBack);
        Assert.Equal(1, connection.Statistics.CommitsResolved);
        Assert.Equal($"tcp://127.0.0.1:{slavePort}", connection.Statistics.Endpoint);
        Assert.Equal(["on the slave"], await DrainAsync(connection, "/queue/failover-commit", timeout.Token));
    }

    /// <summary>Every message until none comes for two seconds (auto ack).</summary>
    internal static async Task<List<string>> DrainAsync(StompConnection connection, string destination, CancellationToken cancellationToken)
    {
        var bodies = new List<string>();
        await using var subscription = await connection.SubscribeAsync(destination, cancellationToken: cancellationToken);
        using var quiet = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        quiet.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            await foreach (var message in subscription.WithCancellation(quiet.Token))
            {
                bodies.Add(message.BodyText);
                quiet.CancelAfter(TimeSpan.FromSeconds(2));
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Quiet: everything there was has come.
        }
        return bodies;
    }
}
