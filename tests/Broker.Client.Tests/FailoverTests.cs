using System.Collections.Concurrent;
using Broker.Server;

namespace Broker.Client.Tests;

[Collection("Brokers")]
public sealed class FailoverTests
{
    private static readonly StompClientOptions Admin = StompClientOptions.Default with
    {
        Login = "admin",
        Passcode = "admin",
        HeartbeatSend = TimeSpan.FromSeconds(1),
        HeartbeatReceive = TimeSpan.FromSeconds(1),
    };

    [Fact]
    public async Task MasterStops_ProducerAndConsumerCarryOn_EveryCompletedSendConsumedOnce()
    {
        var (master, slave) = await TestHost.StartPairAsync();
        await using var slaveHost = slave;
        await using var masterHost = master;
        // A slave lost while still catching up waits for its master rather than promote without what the master
        // acknowledged; on a loaded machine the first sync can outlast the first 100 sends, so start from in sync.
        var masterBroker = master.Registry.Find("b1")!;
        var slaveBroker = slave.Registry.Find("b1")!;
        await Retry.UntilAsync("the slave is in sync and the master protected",
            () => slaveBroker.Status.State == LifecycleState.InSync && masterBroker.Status.State == LifecycleState.MasterProtected,
            TimeSpan.FromSeconds(30));
        var uri = $"failover:({master.StompUri},{slave.StompUri})?randomize=false&initialReconnectDelay=10&maxReconnectDelay=200";

        await using var consumer = await StompConnection.ConnectAsync(uri, Admin);
        await using var producer = await StompConnection.ConnectAsync(uri, Admin);
        var events = new ConcurrentQueue<StompConnectionEvent>();
        producer.StateChanged += (_, e) => events.Enqueue(e);
        consumer.StateChanged += (_, e) => events.Enqueue(e);
        var interrupted = 0;
        var resumed = 0;
        producer.ConnectionInterrupted += (_, _) => Interlocked.Increment(ref interrupted);
        producer.ConnectionResumed += (_, _) => Interlocked.Increment(ref resumed);

        var received = new ConcurrentQueue<(string Body, bool Redelivered)>();
        await using var subscription = await consumer.SubscribeAsync("/queue/failover", async (message, ct) =>
        {
            received.Enqueue((message.BodyText, message.Redelivered));
            await message.AckAsync(ct);
        }, SubscribeOptions.Default with { AckMode = StompAckMode.ClientIndividual, Prefetch = 10 });

        const int total = 300;
        var completed = new ConcurrentBag<string>();
        var failedSends = new ConcurrentBag<string>();
        var sending = Task.Run(async () =>
        {
            for (var i = 0; i < total; i++)
            {
                var body = $"m-{i}";
                try
                {
                    await producer.SendAsync("/queue/failover", body);
                    completed.Add(body);
                }
                catch (Exception e)
                {
                    failedSends.Add($"{body}: {e.Message}");
                }
                if (i == 100)
                {
                    // The master fails mid-stream (its connectors and link gone, its slave told nothing, as in a crash);
                    // a host's orderly stop would tell the slave it stops on purpose, which is not a failover.
                    _ = Task.Run(() => masterBroker.Lifecycle.Endpoints.CloseAsync());
                }
            }
        });
        if (await Task.WhenAny(sending, Task.Delay(TimeSpan.FromSeconds(40))) != sending)
        {
            Assert.Fail($"sends still waiting after 40 s: {completed.Count} of {total} completed; slave {slaveBroker.Status.State} ({slaveBroker.Status.Reason}), producer {producer.State}");
        }
        await sending;

        Assert.Empty(failedSends);
        Assert.Equal(total, completed.Count);
        await Retry.UntilAsync("every completed send was consumed", () => received.Select(r => r.Body).Distinct().Count() >= completed.Count, TimeSpan.FromSeconds(20));

        var byBody = received.GroupBy(r => r.Body).ToList();
        Assert.All(completed, body => Assert.Contains(byBody, g => g.Key == body));
        // A body seen twice must have come back as a redelivery, never as a resent duplicate. One exception, a broker
        // fault this test does not cover (noted in the README): the one message in flight at the crash may have been
        // dispatched by the old master before its slave held it, and is then delivered again, unflagged, by the new one.
        var unflagged = byBody.Where(g => g.Count() > 1 && !g.Any(r => r.Redelivered)).Select(g => g.Key).ToList();
        Assert.True(unflagged.Count <= 1 && unflagged.All(b => int.Parse(b[2..], System.Globalization.CultureInfo.InvariantCulture) is >= 100 and <= 110),
            $"resent duplicates: {string.Join(", ", unflagged)}");

        Assert.True(Volatile.Read(ref interrupted) >= 1, "the producer saw an interruption");
        Assert.True(Volatile.Read(ref resumed) >= 1, "the producer saw a resumption");
        Assert.Equal(StompConnectionState.Connected, producer.State);
        Assert.Equal(slave.StompUri, producer.Statistics.Endpoint);
        Assert.True(producer.Statistics.Reconnects >= 1);
        Assert.NotNull(producer.Statistics.LastFailover);
        Assert.Contains(events, e => e.State == StompConnectionState.Reconnecting);
    }

    [Fact]
    public async Task BothBrokersDown_ThenOneBack_ReconnectsAndResendsPendingSends()
    {
        var port = TestHost.FreePort();
        var spare = TestHost.FreePort();
        var host = await TestHost.StartAsync(port);
        var uri = $"failover:(tcp://127.0.0.1:{port},tcp://127.0.0.1:{spare})?randomize=false&initialReconnectDelay=10&maxReconnectDelay=100";
        await using var connection = await StompConnection.ConnectAsync(uri, Admin);
        var interrupted = new TaskCompletionSource();
        connection.ConnectionInterrupted += (_, _) => interrupted.TrySetResult();
        var resumed = new TaskCompletionSource<StompConnectionEvent>();
        connection.ConnectionResumed += (_, e) => resumed.TrySetResult(e);

        await host.DisposeAsync();
        await interrupted.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var sendWhileDown = connection.SendAsync("/queue/back", "while-down");
        await Task.Delay(300);
        Assert.False(sendWhileDown.IsCompleted);
        Assert.Equal(StompConnectionState.Reconnecting, connection.State);

        await using var back = await TestHost.StartAsync(port);
        var e = await resumed.Task.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.True(e.Attempt >= 2, $"resumed on pass {e.Attempt}, after back-off");
        await sendWhileDown.WaitAsync(TimeSpan.FromSeconds(10));

        await using var subscription = await connection.SubscribeAsync("/queue/back");
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await foreach (var message in subscription.WithCancellation(cancel.Token))
        {
            Assert.Equal("while-down", message.BodyText);
            break;
        }
    }

    [Fact]
    public async Task Failover_PendingTransactionAndOldDeliveries_AreRolledBackAndNotAcked()
    {
        var port = TestHost.FreePort();
        var host = await TestHost.StartAsync(port);
        var uri = $"failover:(tcp://127.0.0.1:{port})?initialReconnectDelay=10&maxReconnectDelay=100";
        await using var connection = await StompConnection.ConnectAsync(uri, Admin);
        var subscription = await connection.SubscribeAsync("/queue/old", SubscribeOptions.Default with { AckMode = StompAckMode.ClientIndividual });
        await connection.SendAsync("/queue/old", "old");
        StompMessage? old = null;
        using (var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            await foreach (var message in subscription.WithCancellation(cancel.Token))
            {
                old = message;
                break;
            }
        }
        var transaction = await connection.BeginTransactionAsync();
        await transaction.SendAsync("/queue/old", "in-tx");

        var resumed = new TaskCompletionSource();
        connection.ConnectionResumed += (_, _) => resumed.TrySetResult();
        await host.DisposeAsync();
        await using var back = await TestHost.StartAsync(port);
        await resumed.Task.WaitAsync(TimeSpan.FromSeconds(15));

        await Assert.ThrowsAsync<StompTransactionRolledBackException>(() => transaction.CommitAsync());
        Assert.True(transaction.IsRolledBack);
        Assert.False(await old!.AckAsync());
        Assert.Equal(1, connection.Statistics.StaleAcksSkipped);
        Assert.Equal(1, connection.Statistics.TransactionsRolledBack);
        await subscription.DisposeAsync();
    }

    [Fact]
    public async Task ConnectAsync_NoBrokerAndMaxReconnectAttempts_FailsWithAClearError()
    {
        var uri = $"failover:(tcp://127.0.0.1:{TestHost.FreePort()},tcp://127.0.0.1:{TestHost.FreePort()})?maxReconnectAttempts=2&initialReconnectDelay=5";
        var error = await Assert.ThrowsAsync<StompConnectionException>(() => StompConnection.ConnectAsync(uri, Admin));
        Assert.Contains("3 pass(es)", error.Message);
        Assert.Contains("maxReconnectAttempts", error.Message);
    }

    [Fact]
    public async Task LinkLost_MaxReconnectAttemptsExhausted_ConnectionFails()
    {
        var host = await TestHost.StartAsync();
        var uri = $"failover:({host.StompUri})?maxReconnectAttempts=3&initialReconnectDelay=5";
        await using var connection = await StompConnection.ConnectAsync(uri, Admin);
        var failed = new TaskCompletionSource<StompConnectionEvent>();
        connection.ConnectionFailed += (_, e) => failed.TrySetResult(e);
        var pending = connection.SendAsync("/queue/never", "x");
        await host.DisposeAsync();

        var e = await failed.Task.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Contains("maxReconnectAttempts", e.Reason);
        Assert.Equal(StompConnectionState.Failed, connection.State);
        var error = await Assert.ThrowsAsync<StompConnectionException>(() => connection.SendAsync("/queue/never", "y"));
        Assert.Contains("failed", error.Message);
        // The one in flight either completed before the stop or failed with the connection.
        try
        {
            await pending;
        }
        catch (StompConnectionException)
        {
        }
    }

    [Fact]
    public async Task SendAsync_TimeoutExpiresWhileReconnecting_ThrowsTimeoutException()
    {
        var host = await TestHost.StartAsync();
        var uri = $"failover:({host.StompUri})?timeout=300&initialReconnectDelay=10&maxReconnectDelay=50";
        await using var connection = await StompConnection.ConnectAsync(uri, Admin);
        var interrupted = new TaskCompletionSource();
        connection.ConnectionInterrupted += (_, _) => interrupted.TrySetResult();
        await host.DisposeAsync();
        await interrupted.Task.WaitAsync(TimeSpan.FromSeconds(10));

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Assert.ThrowsAsync<TimeoutException>(() => connection.SendAsync("/queue/t", "x"));
        Assert.InRange(clock.ElapsedMilliseconds, 250, 5000);
    }
}
