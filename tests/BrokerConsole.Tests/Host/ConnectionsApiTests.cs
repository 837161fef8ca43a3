using System.Net;
using System.Text.Json;
using Broker.Client;
using BrokerConsole.Tests.Infrastructure;

namespace BrokerConsole.Tests.Host;

/// <summary><c>GET /api/brokers/{b}/connections</c> and <c>DELETE /api/brokers/{b}/connections/{id}</c> (docs/API.md), with real STOMP clients.</summary>
public sealed class ConnectionsApiTests : IAsyncLifetime
{
    private TestHost _host = null!;

    public async Task InitializeAsync() => _host = await TestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static async Task<JsonElement> GetAsync(HttpClient http, string path) =>
        JsonDocument.Parse(await http.GetStringAsync(path)).RootElement;

    private static JsonElement? ByClientId(JsonElement connections, string clientId) =>
        connections.EnumerateArray().Cast<JsonElement?>().FirstOrDefault(c => c!.Value.GetProperty("clientId").GetString() == clientId);

    [Fact]
    public async Task Connections_ListedForViewers_OneClosedByAnAdmin_ClientGetsErrorAndSocketCloses()
    {
        await using var consumer = await StompTestClient.ConnectTcpAsync(_host.StompPort());
        await consumer.ConnectAsync(extra: ("client-id", "worker-1"));
        await consumer.SendAsync("SUBSCRIBE", ("id", "s1"), ("destination", "/queue/work"), ("ack", "client"), ("activemq.prefetchSize", "5"), ("receipt", "sub"));
        Assert.Equal("RECEIPT", (await consumer.ReceiveAsync()).Command);
        await using var producer = await StompTestClient.ConnectTcpAsync(_host.StompPort());
        await producer.ConnectAsync(extra: ("client-id", "producer-1"));
        for (var i = 0; i < 2; i++)
        {
            await producer.SendTextAsync("/queue/work", $"job {i}", ("receipt", $"r{i}"));
            Assert.Equal("RECEIPT", (await producer.ReceiveAsync()).Command);
        }
        Assert.Equal("MESSAGE", (await consumer.ReceiveAsync()).Command);
        Assert.Equal("MESSAGE", (await consumer.ReceiveAsync()).Command);
        using var viewer = _host.CreateHttpClient("viewer");
        using var admin = _host.CreateHttpClient();

        var connections = await GetAsync(viewer, "/api/brokers/b1/connections");

        var worker = ByClientId(connections, "worker-1")!.Value;
        Assert.Equal("admin", worker.GetProperty("user").GetString());
        Assert.Equal("1.2", worker.GetProperty("protocolVersion").GetString());
        Assert.Equal("tcp", worker.GetProperty("transport").GetString());
        Assert.StartsWith("127.0.0.1", worker.GetProperty("remoteAddress").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, worker.GetProperty("subscriptions").GetInt32());
        Assert.Equal(2, worker.GetProperty("inFlight").GetInt32());
        Assert.Equal(2, worker.GetProperty("messagesOut").GetInt64());
        Assert.InRange(worker.GetProperty("connectedAt").GetDateTimeOffset(), DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow);
        Assert.Equal(2, ByClientId(connections, "producer-1")!.Value.GetProperty("messagesIn").GetInt64());
        Assert.Equal(2, connections.GetArrayLength());

        var id = worker.GetProperty("id").GetString()!;
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.DeleteAsync($"/api/brokers/b1/connections/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.DeleteAsync("/api/brokers/b1/connections/no-such-id")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.DeleteAsync($"/api/brokers/nope/connections/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/brokers/b1/connections/{id}")).StatusCode);

        var error = await consumer.ReceiveAsync();
        Assert.Equal("ERROR", error.Command);
        Assert.Contains("closed by an operator (admin)", error["message"], StringComparison.Ordinal);
        Assert.True(await consumer.WaitForCloseAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await admin.DeleteAsync($"/api/brokers/b1/connections/{id}")).StatusCode);
        var left = await GetAsync(viewer, "/api/brokers/b1/connections");
        Assert.Equal("producer-1", Assert.Single(left.EnumerateArray()).GetProperty("clientId").GetString());
        // The closed consumer's unacknowledged messages went back to the queue.
        await Retry.UntilAsync("the two messages are waiting again", () =>
            _host.Registry.Find("b1")!.Broker.GetDestination(Broker.Core.Messages.DestinationName.Queue("work"))?.Pending == 2);
        Assert.Contains("AUDIT admin close-connection b1/connections/" + id, await _host.WaitForLogAsync("AUDIT admin close-connection"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connections_OverWebSocket_ListedAsWebsocket()
    {
        await using var client = await StompTestClient.ConnectWebSocketAsync(
            new UriBuilder(_host.HttpUri) { Scheme = "ws", Path = "/brokers/b1/stomp" }.Uri);
        Assert.Equal("CONNECTED", (await client.ConnectAsync(extra: ("client-id", "ws-1"))).Command);
        using var viewer = _host.CreateHttpClient("viewer");

        var connection = Assert.Single((await GetAsync(viewer, "/api/brokers/b1/connections")).EnumerateArray());

        Assert.Equal("websocket", connection.GetProperty("transport").GetString());
        Assert.Equal("ws-1", connection.GetProperty("clientId").GetString());
    }

    [Fact]
    public async Task Connections_OfAWatchedHost_ListedAndClosedThroughHostParameter()
    {
        await using var console = await TestHost.StartAsync(
            $"--Console:Hosts:a:Url={_host.HttpUri}", "--Console:Hosts:a:UserName=admin", "--Console:Hosts:a:Password=admin");
        await using var client = await StompTestClient.ConnectTcpAsync(_host.StompPort());
        await client.ConnectAsync(extra: ("client-id", "far-away"));
        using var viewer = console.CreateHttpClient("viewer");
        using var admin = console.CreateHttpClient();

        var remote = await GetAsync(viewer, "/api/brokers/b1/connections?host=a");
        var local = await GetAsync(viewer, "/api/brokers/b1/connections");

        var id = Assert.Single(remote.EnumerateArray()).GetProperty("id").GetString()!;
        Assert.Equal(0, local.GetArrayLength());
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.DeleteAsync($"/api/brokers/b1/connections/{id}?host=a")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.DeleteAsync($"/api/brokers/b1/connections/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/brokers/b1/connections/{id}?host=a")).StatusCode);
        Assert.Equal("ERROR", (await client.ReceiveAsync()).Command);
        Assert.True(await client.WaitForCloseAsync());
    }

    [Fact]
    public async Task Connections_FailoverClientClosedByAnAdmin_ReconnectsAsANewConnectionAndKeepsReceiving()
    {
        var options = StompClientOptions.Default with { Login = "admin", Passcode = "admin", ClientId = "fo-1" };
        await using var client = await StompConnection.ConnectAsync($"failover:({_host.StompUri})?initialReconnectDelay=10&maxReconnectDelay=100", options);
        await using var subscription = await client.SubscribeAsync("/queue/fo");
        var resumed = new TaskCompletionSource();
        client.ConnectionResumed += (_, _) => resumed.TrySetResult();
        using var admin = _host.CreateHttpClient();
        var before = Assert.Single((await GetAsync(admin, "/api/brokers/b1/connections")).EnumerateArray()).GetProperty("id").GetString()!;

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/brokers/b1/connections/{before}")).StatusCode);
        await resumed.Task.WaitAsync(TimeSpan.FromSeconds(15));

        var after = Assert.Single((await GetAsync(admin, "/api/brokers/b1/connections")).EnumerateArray());
        Assert.Equal("fo-1", after.GetProperty("clientId").GetString());
        Assert.NotEqual(before, after.GetProperty("id").GetString());
        await client.SendAsync("/queue/fo", "after the close");
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await using var messages = subscription.WithCancellation(cancel.Token).GetAsyncEnumerator();
        Assert.True(await messages.MoveNextAsync());
        Assert.Equal("after the close", messages.Current.BodyText);
    }
}
