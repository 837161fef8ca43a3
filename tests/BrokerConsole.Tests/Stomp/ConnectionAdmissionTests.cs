using System.Text;
using Broker.Replication;

namespace BrokerConsole.Tests.Stomp;

/// <summary>
/// Every accepted socket counts from accept to close and must log in within ConnectTimeout; one address can hold
/// only so many sockets that have not logged in. Raw sockets, so nothing is sent that the test did not write.
/// </summary>
public sealed class ConnectionAdmissionTests
{
    private static readonly TimeSpan CloseWait = TimeSpan.FromSeconds(10);

    /// <summary>What the master's connector reads as "a slave's replication link follows".</summary>
    private static byte[] Preamble => ReplicationMaster.LinkPreamble.ToArray();

    [Theory]
    [InlineData("nothing")]
    [InlineData("half a preamble")]
    [InlineData("a preamble, then no handshake")]
    [InlineData("half a CONNECT")]
    public async Task SilentConnection_ClosedAtConnectTimeout(string sent)
    {
        await using var host = await TestHost.StartAsync("--Stomp:ConnectTimeout=00:00:00.500");
        var broker = host.Registry.Find("b1")!.Broker;
        await using var raw = await RawConnection.ConnectAsync(host.StompPort());

        await raw.SendAsync(sent switch
        {
            "nothing" => [],
            "half a preamble" => Preamble[..5],
            "a preamble, then no handshake" => Preamble,
            _ => "CONNECT\naccept-version:1.2\n"u8.ToArray(),
        });
        await Retry.UntilAsync("the connection is counted", () => broker.Counters.Connections == 1);

        // Well before 10 s: the replication handshake's own timeout must not be what closes it.
        await raw.TimeUntilClosedAsync(TimeSpan.FromSeconds(5));
        await Retry.UntilAsync("the connection is no longer counted", () => broker.Counters.Connections == 0);
    }

    [Fact]
    public async Task MaxConnections_CountsConnectionsThatNeverLoggedIn()
    {
        await using var host = await TestHost.StartAsync("--Brokers:b1:Connectors:0=tcp://127.0.0.1:0",
            "--Brokers:b1:DataDirectory={root}/b1", "--Brokers:b1:MaxConnections=3");
        var broker = host.Registry.Find("b1")!.Broker;
        await using var silent = await RawConnection.ConnectAsync(host.StompPort());
        await using var halfPreamble = await RawConnection.ConnectAsync(host.StompPort());
        await halfPreamble.SendAsync(Preamble[..3]);
        // Handed to the replication side, which waits for the slave's handshake: still not logged in.
        await using var preamble = await RawConnection.ConnectAsync(host.StompPort());
        await preamble.SendAsync(Preamble);
        await Retry.UntilAsync("three connections are counted", () => broker.Counters.Connections == 3);

        await using var fourth = await RawConnection.ConnectAsync(host.StompPort());
        var refusal = Encoding.UTF8.GetString(await fourth.ReadUntilClosedAsync(CloseWait));

        Assert.StartsWith("ERROR\n", refusal);
        Assert.Contains("message:broker b1 already has 3 connections (MaxConnections)\n", refusal);
        Assert.EndsWith("\0\n", refusal);
        Assert.Equal(1, broker.Counters.ConnectionsRefused);
        using (var http = host.CreateHttpClient(user: null))
        {
            Assert.Contains("broker_connections_refused_total{broker=\"b1\"} 1", await http.GetStringAsync("/metrics"));
        }
        await silent.DisposeAsync();
        await Retry.UntilAsync("the closed connection is no longer counted", () => broker.Counters.Connections == 2);
        await using var client = await StompTestClient.ConnectTcpAsync(host.StompPort());
        Assert.Equal("CONNECTED", (await client.ConnectAsync()).Command);
    }

    [Fact]
    public async Task OneAddress_BoundedInConnectionsNotLoggedIn_LoggedInOnesDoNotCount()
    {
        await using var host = await TestHost.StartAsync("--Stomp:MaxUnauthenticatedPerAddress=3");
        var broker = host.Registry.Find("b1")!.Broker;
        var silent = new List<RawConnection>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                silent.Add(await RawConnection.ConnectAsync(host.StompPort()));
            }
            await Retry.UntilAsync("three connections are counted", () => broker.Counters.Connections == 3);

            for (var i = 0; i < 3; i++)
            {
                await using var refused = await RawConnection.ConnectAsync(host.StompPort());
                var refusal = Encoding.UTF8.GetString(await refused.ReadUntilClosedAsync(CloseWait));
                Assert.Contains("message:3 connections from 127.0.0.1 have not logged in yet (Stomp:MaxUnauthenticatedPerAddress)\n", refusal);
            }
            Assert.Equal(3, broker.Counters.ConnectionsRefused);
            // One line for the three refusals: a flood of them is not a flood of log lines.
            var log = await host.WaitForLogAsync("refused a connection from 127.0.0.1");
            Assert.Single(log.Split('\n'), line => line.Contains("refused a connection from 127.0.0.1", StringComparison.Ordinal));

            // A client that logged in leaves the address's bound: a fourth silent socket fits again beside it.
            await silent[0].DisposeAsync();
            silent.RemoveAt(0);
            await Retry.UntilAsync("the closed connection is no longer counted", () => broker.Counters.Connections == 2);
            await using var client = await StompTestClient.ConnectTcpAsync(host.StompPort());
            Assert.Equal("CONNECTED", (await client.ConnectAsync()).Command);
            silent.Add(await RawConnection.ConnectAsync(host.StompPort()));
            await Retry.UntilAsync("four connections are counted", () => broker.Counters.Connections == 4);
            await using var fifth = await RawConnection.ConnectAsync(host.StompPort());
            Assert.Contains("Stomp:MaxUnauthenticatedPerAddress", Encoding.UTF8.GetString(await fifth.ReadUntilClosedAsync(CloseWait)));
            Assert.Equal("MESSAGE", (await ConnectTests.RoundTrip(client)).Command);
        }
        finally
        {
            foreach (var connection in silent)
            {
                await connection.DisposeAsync();
            }
        }
    }

    [Theory]
    [InlineData("MaxUnauthenticatedPerAddress", "-1")]
    [InlineData("ConnectTimeout", "00:00:00")]
    public async Task BadBoundOrTimeout_StopsStartUpNamingTheKey(string key, string value)
    {
        var error = await Assert.ThrowsAsync<BrokerConsole.Hosting.BrokerConfigurationException>(() => TestHost.StartAsync($"--Stomp:{key}={value}"));

        Assert.Contains($"Stomp:{key}", error.Message);
    }

    [Fact]
    public async Task SlaveLink_CountedOnlyUntilItsHandshakeIsAnswered()
    {
        var (master, slave) = await TestHost.StartPairAsync();
        await using (master)
        await using (slave)
        {
            var hosted = master.Registry.Find("b1")!;
            await Retry.UntilAsync("the slave is in sync", () => hosted.Status.State == Broker.Server.LifecycleState.MasterProtected, TimeSpan.FromSeconds(30));

            Assert.Equal(0, hosted.Broker.Counters.Connections);
            Assert.Equal(0, hosted.Broker.Counters.ConnectionsRefused);
        }
    }
}
