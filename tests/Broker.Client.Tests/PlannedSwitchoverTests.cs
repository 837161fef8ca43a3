using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Broker.Client.Tests;

[Collection("Brokers")]
public sealed class PlannedSwitchoverTests
{
    /// <summary>
    /// A fake broker that accepts CONNECT, swallows the first SEND without a receipt and answers it with
    /// <c>ERROR reconnect:true</c>, as a broker handing over to its partner would.
    /// </summary>
    private static async Task RunSwitchingBrokerAsync(TcpListener listener)
    {
        using var client = await listener.AcceptTcpClientAsync();
        var stream = client.GetStream();
        var seen = new StringBuilder();
        var buffer = new byte[4096];
        var connected = false;
        while (true)
        {
            var n = await stream.ReadAsync(buffer);
            if (n == 0)
            {
                return;
            }
            seen.Append(Encoding.UTF8.GetString(buffer, 0, n));
            if (!connected && seen.ToString().Contains('\0'))
            {
                connected = true;
                await stream.WriteAsync("CONNECTED\nversion:1.2\nheart-beat:0,0\n\n\0"u8.ToArray());
            }
            if (seen.ToString().Contains("SEND\n"))
            {
                await stream.WriteAsync("ERROR\nreconnect:true\nmessage:switching over to the partner\n\n\0"u8.ToArray());
                await Task.Delay(200);
                return;
            }
        }
    }

    [Fact]
    public async Task ErrorWithReconnectTrue_MovesToTheNextBrokerAtOnceAndResendsTheSend()
    {
        await using var host = await TestHost.StartAsync();
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var fakePort = ((IPEndPoint)listener.LocalEndpoint).Port;
        var fake = RunSwitchingBrokerAsync(listener);
        // A long initial delay: only a switchover without back-off gets there in time.
        var uri = $"failover:(tcp://127.0.0.1:{fakePort},{host.StompUri})?randomize=false&initialReconnectDelay=10000";
        await using var connection = await StompConnection.ConnectAsync(uri, StompClientOptions.Default with { Login = "admin", Passcode = "admin" });
        Assert.Equal($"tcp://127.0.0.1:{fakePort}", connection.Statistics.Endpoint);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await connection.SendAsync("/queue/switched", "kept").WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5));
        await fake;

        Assert.Equal(host.StompUri, connection.Statistics.Endpoint);
        Assert.Equal(1, connection.Statistics.ResentSends);
        await using var subscription = await connection.SubscribeAsync("/queue/switched");
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await foreach (var message in subscription.WithCancellation(cancel.Token))
        {
            Assert.Equal("kept", message.BodyText);
            break;
        }
    }
}
