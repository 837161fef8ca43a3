using System.Net;
using System.Net.WebSockets;
using System.Text;
using BrokerConsole.Tests.Infrastructure;

namespace BrokerConsole.Tests.Stomp;

public sealed class WebSocketTests
{
    private static Uri StompUri(TestHost host, string broker = "b1") =>
        new UriBuilder(host.HttpUri) { Scheme = "ws", Path = $"/brokers/{broker}/stomp" }.Uri;

    [Theory]
    [InlineData("v12.stomp", "1.2")]
    [InlineData("v11.stomp", "1.1")]
    [InlineData("v10.stomp", "1.0")]
    public async Task WebSocket_SubprotocolsAndRoundTrip(string subprotocol, string version)
    {
        await using var host = await TestHost.StartAsync();
        await using var client = await StompTestClient.ConnectWebSocketAsync(StompUri(host), subprotocol);

        var connected = await client.ConnectAsync(acceptVersion: version);
        var message = await ConnectTests.RoundTrip(client);

        Assert.Equal(version, connected["version"]);
        Assert.Equal("ping", Encoding.UTF8.GetString(message.Body.Span));
    }

    [Fact]
    public async Task WebSocket_MessagesCrossTransports()
    {
        await using var host = await TestHost.StartAsync();
        await using var ws = await StompTestClient.ConnectWebSocketAsync(StompUri(host));
        await using var tcp = await StompTestClient.ConnectTcpAsync(host.StompPort());
        await ws.ConnectAsync();
        await tcp.ConnectAsync();
        await ws.SendAsync("SUBSCRIBE", ("destination", "/queue/x"), ("id", "1"), ("receipt", "r"));
        await ws.ReceiveAsync();

        await tcp.SendTextAsync("/queue/x", "from tcp");

        Assert.Equal("from tcp", Encoding.UTF8.GetString((await ws.ReceiveAsync()).Body.Span));
    }

    [Fact]
    public async Task WebSocket_FramesBeforeCloseArrive()
    {
        await using var host = await TestHost.StartAsync();
        await using var bad = await StompTestClient.ConnectWebSocketAsync(StompUri(host));
        await using var leaving = await StompTestClient.ConnectWebSocketAsync(StompUri(host));

        var error = await bad.ConnectAsync("admin", "wrong");
        await leaving.ConnectAsync();
        await leaving.SendAsync("DISCONNECT", ("receipt", "bye"));

        Assert.Equal("ERROR", error.Command);
        Assert.Equal("bye", (await leaving.ReceiveAsync())["receipt-id"]);
        Assert.True(await leaving.WaitForCloseAsync());
    }

    [Fact]
    public async Task WebSocket_BrokerStopped_503()
    {
        await using var host = await TestHost.StartAsync();
        await host.Registry.Find("b1")!.StopByOperatorAsync();

        var error = await Assert.ThrowsAsync<WebSocketException>(() => StompTestClient.ConnectWebSocketAsync(StompUri(host)));
        using var http = host.CreateHttpClient(user: null);
        var response = await http.GetAsync($"/brokers/b1/stomp");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.NotNull(error);
    }

    [Fact]
    public async Task WebSocket_UnknownBroker_404()
    {
        await using var host = await TestHost.StartAsync();
        using var http = host.CreateHttpClient(user: null);

        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/brokers/nope/stomp")).StatusCode);
    }
}
