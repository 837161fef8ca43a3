using System.Text;
using Broker.Stomp.Protocol;
using BrokerConsole.Tests.Infrastructure;

namespace BrokerConsole.Tests.Stomp;

public sealed class ConnectTests
{
    [Theory]
    [InlineData("1.0,1.1,1.2", "1.2")]
    [InlineData("1.1", "1.1")]
    [InlineData("1.0", "1.0")]
    [InlineData("1.1,1.0", "1.1")]
    public async Task Connect_AcceptVersion_NegotiatesHighestCommon(string offered, string expected)
    {
        await using var host = await TestHost.StartAsync();
        await using var client = await StompTestClient.ConnectTcpAsync(host.StompPort());

        var connected = await client.ConnectAsync(acceptVersion: offered);

        Assert.Equal("CONNECTED", connected.Command);
        Assert.Equal(expected, connected["version"]);
        Assert.NotNull(connected["session"]);
    }

    [Fact]
    public async Task Connect_WithoutAcceptVersion_SpeaksStomp10()
    {
        await using var host = await TestHost.StartAsync();
        await using var client = await StompTestClient.ConnectTcpAsync(host.StompPort());

        await client.SendAsync("CONNECT", ("login", "admin"), ("passcode", "admin"));
        var connected = await client.ReceiveAsync();

        Assert.Equal("1.0", connected["version"]);
    }

    [Fact]
    public async Task Connect_UnsupportedVersion_ErrorListsSupportedAndCloses()
    {
        await using var host = await TestHost.StartAsync();
        await using var client = await StompTestClient.ConnectTcpAsync(host.StompPort());

        var reply = await client.ConnectAsync(acceptVersion: "2.0");

        Assert.Equal("ERROR", reply.Command);
        Assert.Equal("1.0,1.1,1.2", reply["version"]);
        Assert.True(await client.WaitForCloseAsync());
    }

    [Theory]
    [InlineData("admin", "wrong")]
    [InlineData("nobody", "x")]
    public async Task Connect_BadCredentials_ErrorAndClose(string login, string passcode)
    {
        await using var host = await TestHost.StartAsync();
        await using var client = await StompTestClient.ConnectTcpAsync(host.StompPort());

        var reply = await client.ConnectAsync(login, passcode);

        Assert.Equal("ERROR", reply.Command);
        Assert.Contains("login failed", reply["message"]);
        Assert.True(await client.WaitForCloseAsync());
    }

    [Fact]
    public async Task Connect_ViewerRole_MayNotConnectOverStomp()
    {
        await using var host = await TestHost.StartAsync();
        await using var client = await StompTestClient.ConnectTcpAsync(host.StompPort());

        var reply = await client.ConnectAsync("viewer");

        Assert.Equal("ERROR", reply.Command);
        Assert.Contains("may not connect", reply["message"]);
    }

    [Fact]
    public async Task FirstFrame_NotConnect_Error()
    {
        await using var host = await TestHost.StartAsync();
        await using var client = await StompTestClient.ConnectTcpAsync(host.StompPort());

        await client.SendTextAsync("/queue/a", "x");
        var reply = await client.ReceiveAsync();

        Assert.Equal("ERROR", reply.Command);
        Assert.Contains("CONNECT", reply["message"]);
    }

    [Fact]
    public async Task Heartbeat_ClientOffers_BrokerAsksForThemAndSendsItsOwn()
    {
        await using var host = await TestHost.StartAsync();
        await using var client = await StompTestClient.ConnectTcpAsync(host.StompPort());

        var connected = await client.ConnectAsync(extra: ("heart-beat", "1000,200"));

        var parts = connected["heart-beat"]!.Split(',').Select(int.Parse).ToArray();
        Assert.True(parts[0] > 0, "the broker offers to send heart-beats");
        Assert.True(parts[1] > 0, "the broker asks for the client's heart-beats");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("1.1")]
    [InlineData("1.2")]
    public async Task Heartbeat_ClientSendsNoHeader_ConnectedSaysZeroZeroAndNoneFlow(string? acceptVersion)
    {
        await using var host = await TestHost.StartAsync("--Stomp:HeartbeatSendMs=100");
        await using var client = await StompTestClient.ConnectTcpAsync(host.StompPort());
        (string, string)[] version = acceptVersion is null ? [] : [("accept-version", acceptVersion)];

        await client.SendAsync("CONNECT", [.. version, ("login", "admin"), ("passcode", "admin")]);
        var connected = await client.ReceiveAsync();

        // As ActiveMQ answers: a missing header means the client can neither send nor take beats (1.2 §Heart-beating).
        Assert.Equal("CONNECTED", connected.Command);
        Assert.Equal("0,0", connected["heart-beat"]);
        Assert.Equal(0, await client.CountHeartbeatsAsync(TimeSpan.FromMilliseconds(500)));
    }

    [Fact]
    public async Task Heartbeat_ClientSendsZeroZero_BrokerStillSaysWhatItCan()
    {
        await using var host = await TestHost.StartAsync();
        await using var client = await StompTestClient.ConnectTcpAsync(host.StompPort());

        var connected = await client.ConnectAsync(extra: ("heart-beat", "0,0"));

        Assert.Equal("1000,1000", connected["heart-beat"]);
    }

    [Fact]
    public async Task Heartbeat_ClientGoesSilent_ConnectionClosed()
    {
        await using var host = await TestHost.StartAsync("--Stomp:HeartbeatReceiveMs=100");
        await using var client = await StompTestClient.ConnectTcpAsync(host.StompPort());
        await client.ConnectAsync(extra: ("heart-beat", "100,0"));

        Assert.True(await client.WaitForCloseAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Heartbeat_ClientKeepsBeating_ConnectionStays()
    {
        // A generous interval (the broker waits two of them, 2 s): CI runs test projects side by side on two cores,
        // and a stall of a second there once closed this connection while it beat every 50 ms. The beats still
        // span more than the window, so a broker that ignored them would close the connection.
        await using var host = await TestHost.StartAsync("--Stomp:HeartbeatReceiveMs=1000");
        await using var client = await StompTestClient.ConnectTcpAsync(host.StompPort());
        await client.ConnectAsync(extra: ("heart-beat", "1000,0"));

        var beatUntil = DateTime.UtcNow.AddSeconds(2.5);
        while (DateTime.UtcNow < beatUntil)
        {
            await client.SendRawAsync("\n"u8.ToArray());
            await Task.Delay(50);
        }
        await client.SendAsync("SUBSCRIBE", ("destination", "/queue/alive"), ("id", "1"), ("receipt", "r"));

        Assert.Equal("RECEIPT", (await client.ReceiveAsync()).Command);
    }

    [Fact]
    public async Task Heartbeat_ClientAsks_BrokerSendsEols()
    {
        await using var host = await TestHost.StartAsync("--Stomp:HeartbeatSendMs=100");
        await using var client = await StompTestClient.ConnectTcpAsync(host.StompPort());
        await client.ConnectAsync(extra: ("heart-beat", "0,100"));

        var heartbeats = await client.CountHeartbeatsAsync(TimeSpan.FromMilliseconds(1500));

        Assert.InRange(heartbeats, 3, 30);
        await client.SendAsync("DISCONNECT", ("receipt", "bye"));
        Assert.Equal("bye", (await client.ReceiveAsync())["receipt-id"]);
    }

    [Fact]
    public async Task Disconnect_WithReceipt_ReceiptThenClose()
    {
        await using var host = await TestHost.StartAsync();
        await using var client = await StompTestClient.ConnectTcpAsync(host.StompPort());
        await client.ConnectAsync();

        await client.SendAsync("DISCONNECT", ("receipt", "77"));

        Assert.Equal("77", (await client.ReceiveAsync())["receipt-id"]);
        Assert.True(await client.WaitForCloseAsync());
    }

    [Fact]
    public async Task MaxConnections_Exceeded_ErrorForTheExtraConnection()
    {
        await using var host = await TestHost.StartAsync("--Brokers:b1:Connectors:0=tcp://127.0.0.1:0",
            "--Brokers:b1:DataDirectory={root}/b1", "--Brokers:b1:MaxConnections=2");
        await using var first = await StompTestClient.ConnectTcpAsync(host.StompPort());
        await using var second = await StompTestClient.ConnectTcpAsync(host.StompPort());
        Assert.Equal("CONNECTED", (await first.ConnectAsync()).Command);
        Assert.Equal("CONNECTED", (await second.ConnectAsync()).Command);
        await using var third = await StompTestClient.ConnectTcpAsync(host.StompPort());

        var reply = await third.ConnectAsync();

        Assert.Equal("ERROR", reply.Command);
        Assert.Contains("MaxConnections", reply["message"]);
        Assert.Equal("MESSAGE", (await RoundTrip(first)).Command);
    }

    internal static async Task<StompFrame> RoundTrip(StompTestClient client)
    {
        var queue = "/queue/rt-" + Guid.NewGuid().ToString("N");
        await client.SendAsync("SUBSCRIBE", ("destination", queue), ("id", queue));
        await client.SendAsync(new StompFrame("SEND", [new("destination", queue)], Encoding.UTF8.GetBytes("ping")));
        return await client.ReceiveAsync();
    }
}
