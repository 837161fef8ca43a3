using BrokerConsole.Tests.Infrastructure;

namespace BrokerConsole.Tests.Durability;

/// <summary>A durable subscription to a topic wildcard is journaled like any durable subscription: it survives a SIGKILL.</summary>
[Collection("Processes")]
public sealed class WildcardDurableTests
{
    [Fact]
    public async Task DurableWildcardSubscription_AfterKill_KeepsWhatCameWhileAwayAndFollowsNewTopics()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await using var broker = await BrokerProcess.StartAsync(cancellationToken: timeout.Token);
        (string, string)[] durable = [("activemq.subscriptionName", "prices")];

        await using (var subscriber = await ConnectAsync(broker.Port))
        {
            await SubscribeAsync(subscriber, durable);
            await subscriber.SendAsync("DISCONNECT", ("receipt", "bye"));
            Assert.Equal("RECEIPT", (await subscriber.ReceiveAsync()).Command);
        }
        await SendAsync(broker.Port, "/topic/routing.price.ibm", "while away");
        broker.Kill();
        await broker.StartAsync(timeout.Token);
        await SendAsync(broker.Port, "/topic/routing.price.orcl", "after the restart, to a new topic");
        await SendAsync(broker.Port, "/topic/routing.bond.x", "not matching");

        await using var again = await ConnectAsync(broker.Port);
        await SubscribeAsync(again, durable);
        var first = await again.ReceiveAsync();
        var second = await again.ReceiveAsync();

        Assert.Equal(["while away", "after the restart, to a new topic"], [DurabilityStomp.Body(first), DurabilityStomp.Body(second)]);
        Assert.Equal(("/topic/routing.price.ibm", "/topic/routing.price.orcl"), (first["destination"], second["destination"]));
    }

    private static async Task<StompTestClient> ConnectAsync(int port)
    {
        var client = await StompTestClient.ConnectTcpAsync(port);
        var connected = await client.ConnectAsync("admin", extra: ("client-id", "wildcard-durable"));
        Assert.Equal("CONNECTED", connected.Command);
        return client;
    }

    private static async Task SubscribeAsync(StompTestClient client, (string, string)[] durable)
    {
        await client.SendAsync("SUBSCRIBE", [("destination", "/topic/routing.price.>"), ("id", "w"), ("ack", "client-individual"), ("receipt", "sub"), .. durable]);
        var reply = await client.ReceiveAsync();
        Assert.True(reply.Command == "RECEIPT", DurabilityStomp.Describe(reply));
    }

    private static async Task SendAsync(int port, string destination, string body)
    {
        await using var producer = await DurabilityStomp.ConnectAsync(port);
        await DurabilityStomp.SendPersistentAsync(producer, destination, body, "sent");
        var reply = await producer.ReceiveAsync();
        Assert.True(reply.Command == "RECEIPT", DurabilityStomp.Describe(reply));
    }
}
