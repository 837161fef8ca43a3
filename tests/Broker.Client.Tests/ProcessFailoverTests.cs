using System.Collections.Concurrent;
using System.Diagnostics;
using Xunit.Abstractions;

namespace Broker.Client.Tests;

/// <summary>
/// The client against brokers in child processes (<see cref="BrokerProcess"/>): a replicated
/// pair whose master dies under a running producer and consumer, and two plain brokers that both go down.
/// </summary>
[Collection("Brokers")]
public sealed class ProcessFailoverTests(ITestOutputHelper output)
{
    private static readonly StompClientOptions Admin = StompClientOptions.Default with
    {
        Login = "admin",
        Passcode = "admin",
        HeartbeatSend = TimeSpan.FromSeconds(1),
        HeartbeatReceive = TimeSpan.FromSeconds(1),
    };

    /// <summary>Rounds of the kill test: BROKER_CLIENT_FAILOVER_ROUNDS, 2 by default.</summary>
    private static int Rounds =>
        int.TryParse(Environment.GetEnvironmentVariable("BROKER_CLIENT_FAILOVER_ROUNDS"), out var rounds) && rounds > 0 ? rounds : 2;

    [Fact]
    public async Task MasterKilled_ProducerAndConsumerCarryOn_EveryCompletedSendConsumedOnce()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60 + (Rounds * 90)));
        for (var round = 1; round <= Rounds; round++)
        {
            await InterruptedRoundAsync(round, "kill", (master, _, _) =>
            {
                master.Kill();
                return Task.CompletedTask;
            }, timeout.Token);
        }
    }

    [Fact]
    public async Task PlannedSwitchover_ProducerAndConsumerCarryOn_EveryCompletedSendConsumedOnce()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(150));
        await InterruptedRoundAsync(1, "switchover", async (master, slave, cancellationToken) =>
        {
            using var answer = await master.ActAsync("switchover", cancellationToken);
            Assert.True(answer.IsSuccessStatusCode, $"{answer.StatusCode}: {await answer.Content.ReadAsStringAsync(cancellationToken)}{Environment.NewLine}{Replicas.Describe(master, slave)}");
        }, timeout.Token);
    }

    /// <summary>
    /// A producer and a consumer on the pair's failover URI; <paramref name="interrupt"/> takes the master away
    /// mid-stream. Every send that completed must be consumed once, and both must have seen the interruption.
    /// </summary>
    private async Task InterruptedRoundAsync(int round, string how, Func<BrokerProcess, BrokerProcess, CancellationToken, Task> interrupt,
        CancellationToken cancellationToken)
    {
        await using var master = await BrokerProcess.StartAsync(Replicas.Master(), cancellationToken);
        var slavePort = TestHost.FreePort();
        await using var slave = await BrokerProcess.StartAsync(Replicas.SlaveOf(master.Port, $"--Brokers:b1:Connectors:0=tcp://127.0.0.1:{slavePort}"), cancellationToken);
        await Replicas.WaitInSyncAsync(master, slave, cancellationToken);
        var uri = $"failover:(tcp://127.0.0.1:{master.Port},tcp://127.0.0.1:{slavePort})?randomize=false&initialReconnectDelay=10&maxReconnectDelay=200";
        var destination = $"/queue/client-{how}-{round}";

        await using var producer = await StompConnection.ConnectAsync(uri, Admin, cancellationToken);
        await using var consumer = await StompConnection.ConnectAsync(uri, Admin, cancellationToken);
        var events = new ConcurrentQueue<string>();
        foreach (var (name, connection) in new[] { ("producer", producer), ("consumer", consumer) })
        {
            connection.ConnectionInterrupted += (_, e) => events.Enqueue($"{name} interrupted");
            connection.ConnectionResumed += (_, e) => events.Enqueue($"{name} resumed");
            connection.ConnectionFailed += (_, e) => events.Enqueue($"{name} failed: {e.Reason}");
        }
        var received = new ConcurrentQueue<(string Body, bool Redelivered)>();
        var acked = new ConcurrentDictionary<string, byte>();
        await using var subscription = await consumer.SubscribeAsync(destination, async (message, ct) =>
        {
            received.Enqueue((message.BodyText, message.Redelivered));
            if (await message.AckAsync(ct))
            {
                acked.TryAdd(message.BodyText, 0);
            }
        }, SubscribeOptions.Default with { AckMode = StompAckMode.ClientIndividual, Prefetch = 20 }, cancellationToken);

        var completed = new ConcurrentDictionary<string, byte>();
        var failed = new ConcurrentQueue<string>();
        var beforeInterruption = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var afterInterruption = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var interruptedAt = -1;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var sending = Task.Run(async () =>
        {
            for (var i = 1; !stop.IsCancellationRequested; i++)
            {
                var body = $"r{round}-m{i}";
                try
                {
                    await producer.SendAsync(destination, body, cancellationToken: stop.Token);
                    completed.TryAdd(body, 0);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e)
                {
                    failed.Enqueue($"{body}: {e.GetType().Name}: {e.Message}");
                }
                if (completed.Count >= 100)
                {
                    beforeInterruption.TrySetResult();
                }
                if (Volatile.Read(ref interruptedAt) >= 0 && completed.Count >= Volatile.Read(ref interruptedAt) + 100)
                {
                    afterInterruption.TrySetResult();
                }
            }
        }, CancellationToken.None);

        await beforeInterruption.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        var clock = Stopwatch.StartNew();
        Volatile.Write(ref interruptedAt, completed.Count);
        await interrupt(master, slave, cancellationToken);
        await afterInterruption.Task.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken);
        var carriedOn = clock.Elapsed;
        await stop.CancelAsync();
        await sending.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        await Retry.UntilAsync("every completed send was consumed", () => completed.Keys.All(acked.ContainsKey), TimeSpan.FromSeconds(60));

        var byBody = received.GroupBy(r => r.Body).ToDictionary(g => g.Key, g => g.ToList());
        var context = $"round {round}: {completed.Count} sends completed, {received.Count} deliveries, {acked.Count} acked; " +
            $"events: {string.Join(", ", events)}{Environment.NewLine}{Replicas.Describe(slave, master)}";
        output.WriteLine($"{how} round {round}: {completed.Count} sends completed ({Volatile.Read(ref interruptedAt)} before the {how}), " +
            $"{received.Count} deliveries of {byBody.Count} messages; 100 more sends completed {carriedOn.TotalMilliseconds:0} ms after it; " +
            $"producer resent {producer.Statistics.ResentSends}, consumer skipped {consumer.Statistics.StaleAcksSkipped} stale acks");
        Assert.True(failed.IsEmpty, $"sends failed: {string.Join(" | ", failed.Take(5))}; {context}");
        Assert.DoesNotContain(byBody.Keys, b => !b.StartsWith($"r{round}-m", StringComparison.Ordinal));
        // A body delivered twice must have come back as a redelivery (delivered, unacked), never as a resent duplicate.
        var duplicates = byBody.Where(g => g.Value.Count > 1 && !g.Value.Skip(1).All(r => r.Redelivered)).Select(g => g.Key).ToList();
        Assert.True(duplicates.Count == 0, $"duplicates without redelivered:true: {string.Join(", ", duplicates.Take(10))}; {context}");
        Assert.True(byBody.Values.All(d => d.Count(r => !r.Redelivered) <= 1), $"a message delivered fresh twice; {context}");
        foreach (var name in new[] { "producer", "consumer" })
        {
            Assert.True(events.Contains($"{name} interrupted"), $"the {name} saw no interruption; {context}");
            Assert.True(events.Contains($"{name} resumed"), $"the {name} saw no resumption; {context}");
        }
        Assert.Equal($"tcp://127.0.0.1:{slavePort}", producer.Statistics.Endpoint);
    }

    [Fact]
    public async Task BothBrokersKilled_ThenOneBack_ReconnectsByTheScheduleAndCompletesThePendingSend()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await using var first = await BrokerProcess.StartAsync(cancellationToken: timeout.Token);
        await using var second = await BrokerProcess.StartAsync(cancellationToken: timeout.Token);
        var uri = $"failover:(tcp://127.0.0.1:{first.Port},tcp://127.0.0.1:{second.Port})?randomize=false&initialReconnectDelay=20&maxReconnectDelay=400";
        await using var connection = await StompConnection.ConnectAsync(uri, Admin, timeout.Token);
        var interrupted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var resumed = new TaskCompletionSource<StompConnectionEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.ConnectionInterrupted += (_, _) => interrupted.TrySetResult();
        connection.ConnectionResumed += (_, e) => resumed.TrySetResult(e);

        // The idle one first: the client, on the first, must not fail over to a broker about to die.
        second.Kill();
        first.Kill();
        await interrupted.Task.WaitAsync(timeout.Token);
        var pending = connection.SendAsync("/queue/both-down", "waited", cancellationToken: timeout.Token);
        Assert.False(pending.IsCompleted, "the send completed with both brokers down");
        // Restarting takes the broker seconds: the client makes pass after pass by the schedule meanwhile.
        await second.StartAsync(timeout.Token);
        var ready = Stopwatch.StartNew();

        var back = await resumed.Task.WaitAsync(timeout.Token);
        var afterReady = ready.Elapsed;
        await pending.WaitAsync(timeout.Token);
        Assert.Equal(StompConnectionState.Connected, back.State);
        Assert.True(back.Attempt >= 3, $"resumed on pass {back.Attempt}: the outage should have taken several passes");
        // maxReconnectDelay=400 caps the wait between passes (plus jitter and the connect itself).
        Assert.True(afterReady < TimeSpan.FromSeconds(3), $"resumed {afterReady.TotalMilliseconds:0} ms after the broker was ready");
        output.WriteLine($"resumed on pass {back.Attempt}, {afterReady.TotalMilliseconds:0} ms after the broker accepted connections");
        Assert.Equal($"tcp://127.0.0.1:{second.Port}", connection.Statistics.Endpoint);
        Assert.Equal(1, connection.Statistics.Reconnects);
        Assert.Equal(["waited"], await CommitInDoubtTests.DrainAsync(connection, "/queue/both-down", timeout.Token));
    }

    [Fact]
    public async Task BothBrokersKilled_MaxReconnectAttemptsExhausted_FailsWithAClearError()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await using var first = await BrokerProcess.StartAsync(cancellationToken: timeout.Token);
        await using var second = await BrokerProcess.StartAsync(cancellationToken: timeout.Token);
        var uri = $"failover:(tcp://127.0.0.1:{first.Port},tcp://127.0.0.1:{second.Port})?maxReconnectAttempts=3&initialReconnectDelay=10&maxReconnectDelay=100";
        await using var connection = await StompConnection.ConnectAsync(uri, Admin, timeout.Token);
        var failed = new TaskCompletionSource<StompConnectionEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.ConnectionFailed += (_, e) => failed.TrySetResult(e);

        // The idle one first: the client, on the first, must not fail over to a broker about to die.
        second.Kill();
        first.Kill();
        var e = await failed.Task.WaitAsync(timeout.Token);

        Assert.Contains("maxReconnectAttempts", e.Reason);
        // The first pass plus maxReconnectAttempts more.
        Assert.Contains("4 pass(es)", e.Reason);
        Assert.Equal(StompConnectionState.Failed, connection.State);
        var error = await Assert.ThrowsAsync<StompConnectionException>(() => connection.SendAsync("/queue/never", "x", cancellationToken: timeout.Token));
        Assert.Contains("maxReconnectAttempts", error.Message);
    }

    [Fact]
    public async Task BothBrokersKilled_TimeoutExpires_SendThrowsTimeoutException()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await using var first = await BrokerProcess.StartAsync(cancellationToken: timeout.Token);
        await using var second = await BrokerProcess.StartAsync(cancellationToken: timeout.Token);
        var uri = $"failover:(tcp://127.0.0.1:{first.Port},tcp://127.0.0.1:{second.Port})?timeout=500&initialReconnectDelay=10&maxReconnectDelay=100";
        await using var connection = await StompConnection.ConnectAsync(uri, Admin, timeout.Token);
        var interrupted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.ConnectionInterrupted += (_, _) => interrupted.TrySetResult();

        // The idle one first: the client, on the first, must not fail over to a broker about to die.
        second.Kill();
        first.Kill();
        await interrupted.Task.WaitAsync(timeout.Token);
        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<TimeoutException>(() => connection.SendAsync("/queue/t", "x", cancellationToken: timeout.Token));

        Assert.InRange(clock.ElapsedMilliseconds, 400, 10_000);
        Assert.Contains("500 ms", error.Message);
        Assert.Equal(StompConnectionState.Reconnecting, connection.State);
    }
}
