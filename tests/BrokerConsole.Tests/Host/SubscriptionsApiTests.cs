using System.Net;
using System.Text.Json;

namespace BrokerConsole.Tests.Host;

/// <summary><c>GET /api/brokers/{b}/subscriptions</c> and <c>DELETE /api/brokers/{b}/durable-subscriptions/{clientId}/{name}</c> (docs/API.md).</summary>
public sealed class SubscriptionsApiTests : IAsyncLifetime
{
    private TestHost _host = null!;

    public async Task InitializeAsync() => _host = await TestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<StompTestClient> ConnectAsync(string clientId)
    {
        var client = await StompTestClient.ConnectTcpAsync(_host.StompPort());
        Assert.Equal("CONNECTED", (await client.ConnectAsync(extra: ("client-id", clientId))).Command);
        return client;
    }

    private static async Task SubscribeAsync(StompTestClient client, params (string, string)[] headers)
    {
        await client.SendAsync("SUBSCRIBE", [.. headers, ("receipt", "sub")]);
        Assert.Equal("RECEIPT", (await client.ReceiveAsync()).Command);
    }

    [Fact]
    public async Task Subscriptions_LiveAndDurableListed_InactiveDurableDeleted_ActiveOneRefused()
    {
        await using var online = await ConnectAsync("c1");
        await SubscribeAsync(online, ("id", "prices"), ("destination", "/topic/prices"), ("activemq.subscriptionName", "s1"), ("selector", "region = 'EU'"));
        await SubscribeAsync(online, ("id", "work"), ("destination", "/queue/work"), ("ack", "client-individual"), ("activemq.prefetchSize", "7"));
        await using (var gone = await ConnectAsync("c2"))
        {
            await SubscribeAsync(gone, ("id", "prices"), ("destination", "/topic/prices"), ("activemq.subscriptionName", "s2"));
            await gone.SendAsync("DISCONNECT", ("receipt", "bye"));
            Assert.Equal("RECEIPT", (await gone.ReceiveAsync()).Command);
        }
        await online.SendTextAsync("/topic/prices", "kept for s2", ("region", "US"), ("receipt", "sent"));
        Assert.Equal("RECEIPT", (await online.ReceiveAsync()).Command);
        using var viewer = _host.CreateHttpClient("viewer");
        using var admin = _host.CreateHttpClient();

        var subscriptions = JsonDocument.Parse(await viewer.GetStringAsync("/api/brokers/b1/subscriptions")).RootElement;

        var live = subscriptions.GetProperty("live").EnumerateArray().ToDictionary(s => s.GetProperty("subscriptionId").GetString()!);
        Assert.Equal(["prices", "work"], live.Keys.Order());
        Assert.Equal("/topic/prices", live["prices"].GetProperty("destination").GetString());
        Assert.Equal("region = 'EU'", live["prices"].GetProperty("selector").GetString());
        Assert.Equal("s1", live["prices"].GetProperty("durableName").GetString());
        Assert.Equal("auto", live["prices"].GetProperty("ackMode").GetString());
        Assert.Equal("client-individual", live["work"].GetProperty("ackMode").GetString());
        Assert.Equal(7, live["work"].GetProperty("prefetch").GetInt32());
        Assert.Equal(0, live["work"].GetProperty("inFlight").GetInt32());
        Assert.Equal(live["work"].GetProperty("connectionId").GetString(), live["prices"].GetProperty("connectionId").GetString());
        var durable = subscriptions.GetProperty("durable").EnumerateArray().ToDictionary(s => s.GetProperty("clientId").GetString()!);
        Assert.True(durable["c1"].GetProperty("active").GetBoolean());
        Assert.Equal("region = 'EU'", durable["c1"].GetProperty("selector").GetString());
        Assert.Equal(0, durable["c1"].GetProperty("pending").GetInt32());
        Assert.False(durable["c2"].GetProperty("active").GetBoolean());
        Assert.Equal("s2", durable["c2"].GetProperty("name").GetString());
        Assert.Equal("/topic/prices", durable["c2"].GetProperty("topic").GetString());
        Assert.Equal(1, durable["c2"].GetProperty("pending").GetInt32());

        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.DeleteAsync("/api/brokers/b1/durable-subscriptions/c2/s2")).StatusCode);
        var refused = await admin.DeleteAsync("/api/brokers/b1/durable-subscriptions/c1/s1");
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("in use by a subscriber", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync("/api/brokers/b1/durable-subscriptions/c2/s2")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.DeleteAsync("/api/brokers/b1/durable-subscriptions/c2/s2")).StatusCode);

        var after = JsonDocument.Parse(await viewer.GetStringAsync("/api/brokers/b1/subscriptions")).RootElement;
        Assert.Equal(["c1"], after.GetProperty("durable").EnumerateArray().Select(d => d.GetProperty("clientId").GetString()));
        Assert.Contains("AUDIT admin delete-durable-subscription b1/durable-subscriptions/c2/s2",
            await _host.WaitForLogAsync("AUDIT admin delete-durable-subscription"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Subscriptions_ClientInFlight_CountedPerSubscription()
    {
        await using var consumer = await ConnectAsync("c1");
        await SubscribeAsync(consumer, ("id", "work"), ("destination", "/queue/work"), ("ack", "client"), ("activemq.prefetchSize", "2"));
        for (var i = 0; i < 3; i++)
        {
            await consumer.SendTextAsync("/queue/work", $"job {i}", ("receipt", $"r{i}"));
        }
        var frames = new List<string>();
        while (frames.Count(f => f == "MESSAGE") < 2 || frames.Count(f => f == "RECEIPT") < 3)
        {
            frames.Add((await consumer.ReceiveAsync()).Command);
        }
        using var viewer = _host.CreateHttpClient("viewer");

        var work = Assert.Single(JsonDocument.Parse(await viewer.GetStringAsync("/api/brokers/b1/subscriptions")).RootElement
            .GetProperty("live").EnumerateArray());

        Assert.Equal(2, work.GetProperty("inFlight").GetInt32());
        Assert.Equal(1, work.GetProperty("pending").GetInt32());
    }
}
