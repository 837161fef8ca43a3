using System.Text;
using Broker.Stomp.Protocol;
using BrokerConsole.Tests.Infrastructure;

namespace BrokerConsole.Tests.Stomp;

public sealed class MessagingTests : IAsyncLifetime
{
    private TestHost _host = null!;

    public async Task InitializeAsync() => _host = await TestHost.StartAsync("--Brokers:b1:Connectors:0=tcp://127.0.0.1:0",
        "--Brokers:b1:DataDirectory={root}/b1", "--Brokers:b1:MaxRedeliveries=2");

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<StompTestClient> ConnectAsync(string user = "admin", string version = "1.2", params (string, string)[] extra)
    {
        var client = await StompTestClient.ConnectTcpAsync(_host.StompPort());
        Assert.Equal("CONNECTED", (await client.ConnectAsync(user, acceptVersion: version, extra: extra)).Command);
        return client;
    }

    private static async Task SubscribeAsync(StompTestClient client, string destination, string id, string ack = "auto", params (string, string)[] extra)
    {
        await client.SendAsync("SUBSCRIBE", [("destination", destination), ("id", id), ("ack", ack), ("receipt", "sub-" + id), .. extra]);
        var receipt = await client.ReceiveAsync();
        Assert.Equal("RECEIPT", receipt.Command);
    }

    [Fact]
    public async Task Send_BinaryBodyWithNulAndCustomHeaders_ArrivesIntact()
    {
        await using var consumer = await ConnectAsync();
        await using var producer = await ConnectAsync();
        await SubscribeAsync(consumer, "/queue/binary", "s1");
        byte[] body = [0, 1, 2, 0, 255, 10, 13, 0];

        await producer.SendAsync(new StompFrame("SEND",
            [new("destination", "/queue/binary"), new("content-type", "application/octet-stream"), new("x-custom", "a:b\\c\nd"),
             new("reply-to", "/queue/replies"), new("correlation-id", "c-1"), new("type", "order"), new("receipt", "r1")], body));
        Assert.Equal("r1", (await producer.ReceiveAsync())["receipt-id"]);
        var message = await consumer.ReceiveAsync();

        Assert.Equal("MESSAGE", message.Command);
        Assert.Equal(body, message.Body.ToArray());
        Assert.Equal("application/octet-stream", message["content-type"]);
        Assert.Equal("a:b\\c\nd", message["x-custom"]);
        Assert.Equal("/queue/replies", message["reply-to"]);
        Assert.Equal("c-1", message["correlation-id"]);
        Assert.Equal("order", message["type"]);
        Assert.Equal("/queue/binary", message["destination"]);
        Assert.Equal("s1", message["subscription"]);
        Assert.StartsWith("ID:b1-", message["message-id"]);
        Assert.NotNull(message["timestamp"]);
    }

    [Fact]
    public async Task Queue_TwoConsumers_EachMessageToExactlyOne()
    {
        await using var a = await ConnectAsync();
        await using var b = await ConnectAsync();
        await using var producer = await ConnectAsync();
        await SubscribeAsync(a, "/queue/work", "a", "auto", ("activemq.prefetchSize", "1"));
        await SubscribeAsync(b, "/queue/work", "b", "auto", ("activemq.prefetchSize", "1"));

        for (var i = 0; i < 20; i++)
        {
            await producer.SendTextAsync("/queue/work", $"m{i}");
        }
        var results = (await Task.WhenAll(a.DrainAsync(TimeSpan.FromSeconds(1)), b.DrainAsync(TimeSpan.FromSeconds(1))))
            .Select(frames => frames.Select(f => Encoding.UTF8.GetString(f.Body.Span)).ToList()).ToArray();

        Assert.NotEmpty(results[0]);
        Assert.NotEmpty(results[1]);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"m{i}").Order(), results.SelectMany(r => r).Order());
    }

    [Fact]
    public async Task ClientAck_Cumulative_AcknowledgesEarlierMessages()
    {
        await using var producer = await ConnectAsync();
        for (var i = 0; i < 3; i++)
        {
            await producer.SendTextAsync("/queue/cumulative", $"m{i}");
        }
        await using (var consumer = await ConnectAsync())
        {
            await SubscribeAsync(consumer, "/queue/cumulative", "s", "client");
            var frames = new[] { await consumer.ReceiveAsync(), await consumer.ReceiveAsync(), await consumer.ReceiveAsync() };
            await consumer.SendAsync("ACK", ("id", frames[1]["ack"]!), ("receipt", "acked"));
            Assert.Equal("acked", (await consumer.ReceiveAsync())["receipt-id"]);
        }
        await using var next = await ConnectAsync();
        await SubscribeAsync(next, "/queue/cumulative", "s");

        var redelivered = await next.ReceiveAsync();

        Assert.Equal("m2", Encoding.UTF8.GetString(redelivered.Body.Span));
        Assert.Equal("true", redelivered["redelivered"]);
    }

    [Fact]
    public async Task ClientIndividualAck_AcknowledgesOnlyThatMessage()
    {
        await using var producer = await ConnectAsync();
        await producer.SendTextAsync("/queue/individual", "m0");
        await producer.SendTextAsync("/queue/individual", "m1");
        await using (var consumer = await ConnectAsync())
        {
            await SubscribeAsync(consumer, "/queue/individual", "s", "client-individual");
            var first = await consumer.ReceiveAsync();
            var second = await consumer.ReceiveAsync();
            await consumer.SendAsync("ACK", ("id", second["ack"]!), ("receipt", "acked"));
            Assert.Equal("acked", (await consumer.ReceiveAsync())["receipt-id"]);
            Assert.Equal("m0", Encoding.UTF8.GetString(first.Body.Span));
        }
        await using var next = await ConnectAsync();
        await SubscribeAsync(next, "/queue/individual", "s");

        var redelivered = await next.ReceiveAsync();

        Assert.Equal("m0", Encoding.UTF8.GetString(redelivered.Body.Span));
        Assert.Equal("true", redelivered["redelivered"]);
    }

    [Fact]
    public async Task Nack_ReturnsMessageMarkedRedelivered_ThenDeadLettersAfterMaxRedeliveries()
    {
        await using var client = await ConnectAsync();
        await client.SendTextAsync("/queue/poison", "bad");
        await SubscribeAsync(client, "/queue/poison", "s", "client-individual");

        for (var delivery = 1; delivery <= 3; delivery++)
        {
            var message = await client.ReceiveAsync();
            Assert.Equal(delivery > 1 ? "true" : null, message["redelivered"]);
            await client.SendAsync("NACK", ("id", message["ack"]!));
        }
        await SubscribeAsync(client, "/queue/DLQ.poison", "dlq");
        var dead = await client.ReceiveAsync();

        Assert.Equal("/queue/DLQ.poison", dead["destination"]);
        Assert.Equal("/queue/poison", dead["original-destination"]);
        Assert.Equal("bad", Encoding.UTF8.GetString(dead.Body.Span));
    }

    [Fact]
    public async Task Disconnect_WithUnackedMessage_RedeliveredToNextConsumer()
    {
        await using var producer = await ConnectAsync();
        await producer.SendTextAsync("/queue/unacked", "m0", ("receipt", "r"));
        await producer.ReceiveAsync();
        await using (var consumer = await ConnectAsync())
        {
            await SubscribeAsync(consumer, "/queue/unacked", "s", "client");
            Assert.Null((await consumer.ReceiveAsync())["redelivered"]);
        }
        await using var next = await ConnectAsync();
        await SubscribeAsync(next, "/queue/unacked", "s");

        Assert.Equal("true", (await next.ReceiveAsync())["redelivered"]);
    }

    [Fact]
    public async Task Priority_HigherFirst_ThenArrival()
    {
        await using var client = await ConnectAsync();
        foreach (var (body, priority) in new[] { ("low", "1"), ("high1", "9"), ("mid", "4"), ("high2", "9") })
        {
            await client.SendTextAsync("/queue/prio", body, ("priority", priority));
        }
        await client.SendTextAsync("/queue/prio", "sync", ("priority", "0"), ("receipt", "sent"));
        await client.ReceiveAsync();
        await SubscribeAsync(client, "/queue/prio", "s");

        var order = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            order.Add(Encoding.UTF8.GetString((await client.ReceiveAsync()).Body.Span));
        }

        Assert.Equal(["high1", "high2", "mid", "low", "sync"], order);
    }

    [Fact]
    public async Task Expired_NeverDelivered_GoesToDeadLetterQueue()
    {
        await using var client = await ConnectAsync();
        var past = DateTimeOffset.UtcNow.AddSeconds(-5).ToUnixTimeMilliseconds().ToString();
        var future = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeMilliseconds().ToString();
        await client.SendTextAsync("/queue/ttl", "stale", ("expires", past));
        await client.SendTextAsync("/queue/ttl", "fresh", ("expires", future));
        await SubscribeAsync(client, "/queue/ttl", "s");

        Assert.Equal("fresh", Encoding.UTF8.GetString((await client.ReceiveAsync()).Body.Span));
        await SubscribeAsync(client, "/queue/DLQ.ttl", "dlq");
        Assert.Equal("stale", Encoding.UTF8.GetString((await client.ReceiveAsync()).Body.Span));
    }

    [Fact]
    public async Task Topic_EverySubscriberGetsEachMessage()
    {
        await using var a = await ConnectAsync();
        await using var b = await ConnectAsync();
        await SubscribeAsync(a, "/topic/news", "a");
        await SubscribeAsync(b, "/topic/news", "b");

        await a.SendTextAsync("/topic/news", "hello");

        Assert.Equal("hello", Encoding.UTF8.GetString((await a.ReceiveAsync()).Body.Span));
        Assert.Equal("hello", Encoding.UTF8.GetString((await b.ReceiveAsync()).Body.Span));
    }

    [Fact]
    public async Task DurableTopicSubscription_KeepsMessagesWhileAway()
    {
        await using (var subscriber = await ConnectAsync(extra: ("client-id", "c1")))
        {
            await SubscribeAsync(subscriber, "/topic/prices", "s", "auto", ("activemq.subscriptionName", "sub1"));
            await subscriber.SendAsync("DISCONNECT", ("receipt", "bye"));
            Assert.Equal("RECEIPT", (await subscriber.ReceiveAsync()).Command);
        }
        await using var producer = await ConnectAsync();
        await producer.SendTextAsync("/topic/prices", "while-away", ("receipt", "r"));
        await producer.ReceiveAsync();
        await using var back = await ConnectAsync(extra: ("client-id", "c1"));
        await SubscribeAsync(back, "/topic/prices", "s", "auto", ("activemq.subscriptionName", "sub1"));

        Assert.Equal("while-away", Encoding.UTF8.GetString((await back.ReceiveAsync()).Body.Span));
    }

    [Fact]
    public async Task Transaction_CommitDeliversSends_AbortDiscards()
    {
        await using var client = await ConnectAsync();
        await SubscribeAsync(client, "/queue/tx", "s");
        await client.SendAsync("BEGIN", ("transaction", "t1"));
        await client.SendTextAsync("/queue/tx", "aborted", ("transaction", "t1"));
        await client.SendAsync("ABORT", ("transaction", "t1"));
        await client.SendAsync("BEGIN", ("transaction", "t2"));
        await client.SendTextAsync("/queue/tx", "committed", ("transaction", "t2"));
        await client.SendAsync("COMMIT", ("transaction", "t2"), ("receipt", "c"));

        // The committed message and the COMMIT's receipt may arrive in either order.
        var frames = new[] { await client.ReceiveAsync(), await client.ReceiveAsync() };
        Assert.Contains(frames, f => f.Command == "RECEIPT" && f["receipt-id"] == "c");
        Assert.Equal(["committed"], frames.Where(f => f.Command == "MESSAGE").Select(f => Encoding.UTF8.GetString(f.Body.Span)));
        Assert.Empty(await client.DrainAsync(TimeSpan.FromMilliseconds(200)));
    }

    [Fact]
    public async Task Transaction_AbortedAck_ReturnsMessageToQueue()
    {
        await using var client = await ConnectAsync();
        await client.SendTextAsync("/queue/txack", "m");
        await SubscribeAsync(client, "/queue/txack", "s", "client-individual");
        var message = await client.ReceiveAsync();
        await client.SendAsync("BEGIN", ("transaction", "t"));
        await client.SendAsync("ACK", ("id", message["ack"]!), ("transaction", "t"));
        await client.SendAsync("ABORT", ("transaction", "t"));

        var again = await client.ReceiveAsync();

        Assert.Equal("m", Encoding.UTF8.GetString(again.Body.Span));
        Assert.Equal("true", again["redelivered"]);
    }

    [Fact]
    public async Task Transaction_LeftOpenByClosedConnection_IsAborted()
    {
        await using (var client = await ConnectAsync())
        {
            await client.SendAsync("BEGIN", ("transaction", "t"));
            await client.SendTextAsync("/queue/orphan", "never", ("transaction", "t"), ("receipt", "r"));
            await client.ReceiveAsync();
        }
        await using var reader = await ConnectAsync();
        await reader.SendTextAsync("/queue/orphan", "after", ("receipt", "r"));
        await reader.ReceiveAsync();
        await SubscribeAsync(reader, "/queue/orphan", "s");

        Assert.Equal("after", Encoding.UTF8.GetString((await reader.ReceiveAsync()).Body.Span));
    }

    [Fact]
    public async Task Commit_RepeatedAfterReconnecting_ReceiptForCommittedErrorForRolledBack()
    {
        await using (var first = await ConnectAsync())
        {
            await first.SendAsync("BEGIN", ("transaction", "done"));
            await first.SendTextAsync("/queue/idempotent", "once", ("transaction", "done"));
            await first.SendAsync("COMMIT", ("transaction", "done"), ("receipt", "c1"));
            Assert.Equal("c1", (await first.ReceiveAsync())["receipt-id"]);
            await first.SendAsync("BEGIN", ("transaction", "lost"));
            await first.SendTextAsync("/queue/idempotent", "never", ("transaction", "lost"), ("receipt", "s"));
            await first.ReceiveAsync();
            await first.SendAsync("DISCONNECT", ("receipt", "bye"));
            await first.ReceiveAsync();
        }
        await using var again = await ConnectAsync();
        await again.SendAsync("COMMIT", ("transaction", "done"), ("receipt", "c2"));
        Assert.Equal("c2", (await again.ReceiveAsync())["receipt-id"]);

        await again.SendAsync("COMMIT", ("transaction", "lost"), ("receipt", "c3"));
        var error = await again.ReceiveAsync();

        Assert.Equal("ERROR", error.Command);
        Assert.Contains("rolled back", error["message"]);
        Assert.Equal(1, _host.Registry.Find("b1")!.Broker.GetDestination(Broker.Core.Messages.DestinationName.Queue("idempotent"))!.Pending);
    }

    [Theory]
    [InlineData("1.0")]
    [InlineData("1.1")]
    public async Task OlderVersions_AckByMessageId(string version)
    {
        await using var client = await ConnectAsync(version: version);
        await client.SendTextAsync("/queue/old-" + version, "m");
        await SubscribeAsync(client, "/queue/old-" + version, "s", "client");
        var message = await client.ReceiveAsync();

        await client.SendAsync("ACK", ("message-id", message["message-id"]!), ("subscription", "s"), ("receipt", "a"));

        Assert.Equal("a", (await client.ReceiveAsync())["receipt-id"]);
    }

    [Fact]
    public async Task Unsubscribe_StopsDeliveries()
    {
        await using var client = await ConnectAsync();
        await SubscribeAsync(client, "/queue/unsub", "s");
        await client.SendAsync("UNSUBSCRIBE", ("id", "s"), ("receipt", "u"));
        Assert.Equal("u", (await client.ReceiveAsync())["receipt-id"]);

        await client.SendTextAsync("/queue/unsub", "m", ("receipt", "r"));

        Assert.Equal("r", (await client.ReceiveAsync())["receipt-id"]);
        Assert.Equal(1, _host.Registry.Find("b1")!.Broker.GetDestinations().Single(d => d.Name == "unsub").Pending);
    }
}
