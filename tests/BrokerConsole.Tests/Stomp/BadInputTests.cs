using System.Text;
using Broker.Stomp.Protocol;
using BrokerConsole.Tests.Infrastructure;

namespace BrokerConsole.Tests.Stomp;

/// <summary>Whatever a client sends, it gets a clear ERROR and a closed connection; nobody else notices.</summary>
public sealed class BadInputTests : IAsyncLifetime
{
    private TestHost _host = null!;
    private StompTestClient _bystander = null!;

    public async Task InitializeAsync()
    {
        _host = await TestHost.StartAsync("--Brokers:b1:Connectors:0=tcp://127.0.0.1:0", "--Brokers:b1:DataDirectory={root}/b1",
            "--Stomp:Limits:MaxBodyBytes=1048576", "--Brokers:b1:MaxSubscriptionsPerConnection=3", "--Brokers:b1:TopicPendingLimit=10");
        _bystander = await StompTestClient.ConnectTcpAsync(_host.StompPort());
        await _bystander.ConnectAsync();
    }

    public async Task DisposeAsync()
    {
        // The bystander's connection still works after every misbehaving neighbour.
        Assert.Equal("MESSAGE", (await ConnectTests.RoundTrip(_bystander)).Command);
        await _bystander.DisposeAsync();
        await _host.DisposeAsync();
    }

    private async Task<StompFrame> ErrorAfterAsync(Func<StompTestClient, Task> misbehave, bool connect = true)
    {
        await using var client = await StompTestClient.ConnectTcpAsync(_host.StompPort());
        if (connect)
        {
            await client.ConnectAsync();
        }
        await misbehave(client);
        var error = await client.ReceiveAsync();
        Assert.Equal("ERROR", error.Command);
        Assert.True(await client.WaitForCloseAsync(), "the connection closes after an ERROR");
        return error;
    }

    [Theory]
    [InlineData("SEND\ndestination:/queue/a\ncontent-length:abc\n\nx\0", "content-length")]
    [InlineData("SEND\ndestination:/queue/a\ncontent-length:1\n\nxy\0", "NUL")]
    [InlineData("SEND\nno-colon-here\n\n\0", "colon")]
    [InlineData("SEND\ndestination:/queue/a\nbad:\\t\n\n\0", "escape")]
    [InlineData("lowercase\n\n\0", "command")]
    public async Task MalformedFrame_ErrorAndClose(string raw, string expected)
    {
        var error = await ErrorAfterAsync(c => c.SendRawAsync(Encoding.UTF8.GetBytes(raw)));

        Assert.Contains(expected, error["message"], StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task UnknownCommand_Error()
    {
        var error = await ErrorAfterAsync(c => c.SendAsync("FROBNICATE", ("receipt", "r1")));

        Assert.Contains("unknown command", error["message"]);
        Assert.Equal("r1", error["receipt-id"]);
    }

    [Theory]
    [InlineData("/queue/")]
    [InlineData("/elsewhere/x")]
    [InlineData("queue-without-prefix")]
    public async Task BadDestination_ErrorWithReceiptId(string destination)
    {
        var error = await ErrorAfterAsync(c => c.SendTextAsync(destination, "x", ("receipt", "r9")));

        Assert.Contains("destination", error["message"]);
        Assert.Equal("r9", error["receipt-id"]);
    }

    [Fact]
    public async Task AckForUnknownId_Error()
    {
        var error = await ErrorAfterAsync(c => c.SendAsync("ACK", ("id", "42:42")));

        Assert.Contains("unknown id", error["message"]);
    }

    [Fact]
    public async Task SendWithoutPermission_Error()
    {
        await using var client = await StompTestClient.ConnectTcpAsync(_host.StompPort());
        Assert.Equal("CONNECTED", (await client.ConnectAsync("consumer")).Command);

        await client.SendTextAsync("/queue/forbidden", "x", ("receipt", "r"));
        var error = await client.ReceiveAsync();

        Assert.Equal("ERROR", error.Command);
        Assert.Contains("may not send", error["message"]);
        Assert.Equal(0, _host.Registry.Find("b1")!.Broker.GetDestination(Broker.Core.Messages.DestinationName.Queue("forbidden"))?.Pending ?? 0);
    }

    [Fact]
    public async Task OversizedBody_ErrorWithoutBufferingIt()
    {
        var error = await ErrorAfterAsync(c => c.SendRawAsync(Encoding.UTF8.GetBytes("SEND\ndestination:/queue/a\ncontent-length:2000000\n\n")));

        Assert.Contains("content-length", error["message"]);
    }

    [Fact]
    public async Task OversizedHeaderLine_Error()
    {
        var error = await ErrorAfterAsync(c => c.SendRawAsync(Encoding.UTF8.GetBytes("SEND\nx:" + new string('a', 70_000))));

        Assert.Contains("header", error["message"]);
    }

    [Fact]
    public async Task TooManySubscriptions_Error()
    {
        var error = await ErrorAfterAsync(async c =>
        {
            for (var i = 0; i < 4; i++)
            {
                await c.SendAsync("SUBSCRIBE", ("destination", $"/queue/many{i}"), ("id", $"s{i}"));
            }
        });

        Assert.Contains("MaxSubscriptionsPerConnection", error["message"]);
    }

    [Fact]
    public async Task SlowTopicSubscriber_DroppedWithError()
    {
        await using var slow = await StompTestClient.ConnectTcpAsync(_host.StompPort());
        await slow.ConnectAsync();
        await slow.SendAsync("SUBSCRIBE", ("destination", "/topic/firehose"), ("id", "s"), ("ack", "client"), ("activemq.prefetchSize", "1"), ("receipt", "r"));
        Assert.Equal("RECEIPT", (await slow.ReceiveAsync()).Command);

        for (var i = 0; i < 20; i++)
        {
            await _bystander.SendTextAsync("/topic/firehose", $"m{i}");
        }
        var frames = await slow.DrainAsync(TimeSpan.FromSeconds(2));

        Assert.Contains(frames, f => f.Command == "ERROR" && f["message"]!.Contains("slow consumer"));
    }

    [Fact]
    public async Task RandomGarbage_ErrorAndBrokerSurvives()
    {
        var random = new Random(7);
        for (var round = 0; round < 20; round++)
        {
            var garbage = new byte[random.Next(1, 4096)];
            random.NextBytes(garbage);
            await using var client = await StompTestClient.ConnectTcpAsync(_host.StompPort());
            await client.SendRawAsync(garbage);
            await client.SendRawAsync("\n\n\0"u8.ToArray());
            Assert.True(await client.WaitForCloseAsync(TimeSpan.FromSeconds(40)));
        }
    }
}
