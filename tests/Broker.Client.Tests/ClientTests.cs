
namespace Broker.Client.Tests;

[Collection("Brokers")]
public sealed class ClientTests : IAsyncLifetime
{
    private static readonly StompClientOptions Admin = StompClientOptions.Default with { Login = "admin", Passcode = "admin" };
    private TestHost _host = null!;

    public async Task InitializeAsync() => _host = await TestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private Task<StompConnection> ConnectAsync(StompClientOptions? options = null) =>
        StompConnection.ConnectAsync(_host.StompUri, options ?? Admin);

    private static async Task<List<StompMessage>> TakeAsync(StompSubscription subscription, int count, TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        var messages = new List<StompMessage>();
        await foreach (var message in subscription.WithCancellation(cancel.Token))
        {
            messages.Add(message);
            if (messages.Count == count)
            {
                break;
            }
        }
        return messages;
    }

    [Fact]
    public async Task SendAndReceive_PersistentMessage_ArrivesWithHeaders()
    {
        await using var connection = await ConnectAsync();
        await using var subscription = await connection.SubscribeAsync("/queue/basic");

        await connection.SendAsync("/queue/basic", "hello", SendOptions.Default with { Headers = new Dictionary<string, string> { ["x-custom"] = "42" } });

        var message = Assert.Single(await TakeAsync(subscription, 1));
        Assert.Equal("hello", message.BodyText);
        Assert.Equal("42", message.Header("x-custom"));
        Assert.Equal("/queue/basic", message.Destination);
        Assert.Equal(connection.ProducerId, message.Header("producer-id"));
        Assert.Equal(StompConnectionState.Connected, connection.State);
        Assert.Equal(1, connection.Statistics.Sent);
    }

    [Fact]
    public async Task SendAsync_Persistent_CompletesOnlyWithTheReceipt()
    {
        await using var connection = await ConnectAsync();
        await connection.SendAsync("/queue/receipted", "one");
        Assert.Equal(0, connection.Statistics.PendingSends);

        var destinations = await _host.CreateHttpClient().GetStringAsync("/api/brokers/b1/destinations");
        Assert.Contains("receipted", destinations);
    }

    [Fact]
    public async Task SendAsync_RefusedByTheBroker_ThrowsStompErrorException()
    {
        await using var consumerOnly = await ConnectAsync(StompClientOptions.Default with { Login = "consumer", Passcode = "consumer" });
        var error = await Assert.ThrowsAsync<StompErrorException>(() => consumerOnly.SendAsync("/queue/forbidden", "x"));
        Assert.NotEmpty(error.Message);
    }

    [Fact]
    public async Task ConnectAsync_WrongPassword_ThrowsAtOnce()
    {
        await Assert.ThrowsAsync<StompErrorException>(() =>
            StompConnection.ConnectAsync($"failover:({_host.StompUri})", StompClientOptions.Default with { Login = "admin", Passcode = "wrong" }));
    }

    [Fact]
    public async Task ClientIndividualAck_UnackedMessage_IsRedeliveredAfterNack()
    {
        await using var connection = await ConnectAsync();
        await using var subscription = await connection.SubscribeAsync("/queue/acks", SubscribeOptions.Default with { AckMode = StompAckMode.ClientIndividual });
        await connection.SendAsync("/queue/acks", "a");
        await connection.SendAsync("/queue/acks", "b");

        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var seen = new List<(string Body, bool Redelivered)>();
        await foreach (var message in subscription.WithCancellation(cancel.Token))
        {
            seen.Add((message.BodyText, message.Redelivered));
            if (message.BodyText == "a" && !message.Redelivered)
            {
                Assert.True(await message.NackAsync());
            }
            else
            {
                Assert.True(await message.AckAsync());
            }
            if (seen.Count == 3)
            {
                break;
            }
        }
        Assert.Contains(("a", true), seen);
        Assert.Contains(("b", false), seen);
    }

    [Fact]
    public async Task ClientAck_DisconnectWithoutAck_ReturnsTheMessage()
    {
        await using (var first = await ConnectAsync())
        {
            var subscription = await first.SubscribeAsync("/queue/client-ack", SubscribeOptions.Default with { AckMode = StompAckMode.Client, Prefetch = 1 });
            await first.SendAsync("/queue/client-ack", "kept");
            Assert.Equal("kept", Assert.Single(await TakeAsync(subscription, 1)).BodyText);
            await first.DisconnectAsync();
        }
        await using var second = await ConnectAsync();
        await using var again = await second.SubscribeAsync("/queue/client-ack", SubscribeOptions.Default with { AckMode = StompAckMode.Client });
        var message = Assert.Single(await TakeAsync(again, 1));
        Assert.True(message.Redelivered);
        Assert.True(await message.AckAsync());
    }

    [Fact]
    public async Task AckAsync_OnAutoSubscription_Throws()
    {
        await using var connection = await ConnectAsync();
        await using var subscription = await connection.SubscribeAsync("/queue/auto");
        await connection.SendAsync("/queue/auto", "x");
        var message = Assert.Single(await TakeAsync(subscription, 1));
        await Assert.ThrowsAsync<InvalidOperationException>(() => message.AckAsync());
    }

    [Fact]
    public async Task Transaction_Commit_DeliversAndAbort_Discards()
    {
        await using var connection = await ConnectAsync();
        await using var subscription = await connection.SubscribeAsync("/queue/tx");

        await using (var aborted = await connection.BeginTransactionAsync())
        {
            await aborted.SendAsync("/queue/tx", "aborted");
            await aborted.AbortAsync();
        }
        var committed = await connection.BeginTransactionAsync();
        await committed.SendAsync("/queue/tx", "committed-1");
        await committed.SendAsync("/queue/tx", "committed-2");
        await committed.CommitAsync();

        var bodies = (await TakeAsync(subscription, 2)).Select(m => m.BodyText).ToList();
        Assert.Equal(["committed-1", "committed-2"], bodies);
        await Assert.ThrowsAsync<InvalidOperationException>(() => committed.SendAsync("/queue/tx", "late"));
    }

    [Fact]
    public async Task Transaction_AckThenAbort_RedeliversTheMessage()
    {
        await using var connection = await ConnectAsync();
        await using var subscription = await connection.SubscribeAsync("/queue/tx-ack", SubscribeOptions.Default with { AckMode = StompAckMode.ClientIndividual });
        await connection.SendAsync("/queue/tx-ack", "m");
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var count = 0;
        await foreach (var message in subscription.WithCancellation(cancel.Token))
        {
            count++;
            if (count == 1)
            {
                var transaction = await connection.BeginTransactionAsync();
                await transaction.AckAsync(message);
                await transaction.AbortAsync();
                // An aborted ACK leaves the delivery unacknowledged; NACK hands it back now.
                await message.NackAsync();
            }
            else
            {
                Assert.True(message.Redelivered);
                await message.AckAsync();
                break;
            }
        }
        Assert.Equal(2, count);
    }

    [Fact]
    public async Task HandlerSubscription_SlowHandler_DoesNotStallOtherSubscriptions()
    {
        await using var connection = await ConnectAsync();
        var release = new TaskCompletionSource();
        var slowGot = 0;
        await using var slow = await connection.SubscribeAsync("/queue/slow", async (message, ct) =>
        {
            await release.Task.WaitAsync(ct);
            Interlocked.Increment(ref slowGot);
        });
        await using var fast = await connection.SubscribeAsync("/queue/fast");

        await connection.SendAsync("/queue/slow", "s");
        await connection.SendAsync("/queue/fast", "f");

        Assert.Equal("f", Assert.Single(await TakeAsync(fast, 1)).BodyText);
        Assert.Equal(0, Volatile.Read(ref slowGot));
        release.SetResult();
        await Retry.UntilAsync("the slow handler ran", () => Volatile.Read(ref slowGot) == 1);
    }

    [Fact]
    public async Task ConcurrentSenders_AllMessagesArriveOnce()
    {
        await using var connection = await ConnectAsync();
        await using var subscription = await connection.SubscribeAsync("/queue/concurrent");
        const int senders = 8, each = 50;

        await Task.WhenAll(Enumerable.Range(0, senders).Select(s => Task.Run(async () =>
        {
            for (var i = 0; i < each; i++)
            {
                await connection.SendAsync("/queue/concurrent", $"{s}-{i}");
            }
        })));

        var bodies = (await TakeAsync(subscription, senders * each)).Select(m => m.BodyText).ToList();
        Assert.Equal(senders * each, bodies.Distinct().Count());
        Assert.Equal(senders * each, connection.Statistics.Sent);
    }

    [Fact]
    public async Task NonPersistentSend_CompletesWithoutReceipt()
    {
        await using var connection = await ConnectAsync();
        await using var subscription = await connection.SubscribeAsync("/topic/np");
        await connection.SendAsync("/topic/np", "fast", SendOptions.Default with { Persistent = false });
        Assert.Equal("fast", Assert.Single(await TakeAsync(subscription, 1)).BodyText);
    }

    [Fact]
    public async Task Cancellation_OfEnumerationAndSend_IsHonoured()
    {
        await using var connection = await ConnectAsync();
        await using var subscription = await connection.SubscribeAsync("/queue/empty");
        using var soon = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in subscription.WithCancellation(soon.Token))
            {
            }
        });

        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => connection.SendAsync("/queue/empty", "x", cancellationToken: cancelled.Token));
    }

    [Fact]
    public async Task DisconnectAsync_EndsEnumerationAndRejectsFurtherSends()
    {
        var connection = await ConnectAsync();
        var subscription = await connection.SubscribeAsync("/queue/bye");
        var reading = Task.Run(async () =>
        {
            var n = 0;
            await foreach (var _ in subscription)
            {
                n++;
            }
            return n;
        });
        await connection.DisconnectAsync();

        Assert.Equal(0, await reading.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(StompConnectionState.Closed, connection.State);
        await Assert.ThrowsAsync<StompConnectionException>(() => connection.SendAsync("/queue/bye", "x"));
        await connection.DisposeAsync();
    }

    [Fact]
    public async Task PlainUri_BrokerStops_ConnectionFails()
    {
        var connection = await ConnectAsync();
        var failed = new TaskCompletionSource<StompConnectionEvent>();
        connection.ConnectionFailed += (_, e) => failed.TrySetResult(e);
        await _host.StopAsync();

        await failed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(StompConnectionState.Failed, connection.State);
        await Assert.ThrowsAsync<StompConnectionException>(() => connection.SendAsync("/queue/x", "x"));
        await connection.DisposeAsync();
    }
}

[CollectionDefinition("Brokers", DisableParallelization = true)]
public sealed class BrokersCollection
{
}
