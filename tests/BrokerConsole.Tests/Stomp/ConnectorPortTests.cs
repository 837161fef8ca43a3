using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Broker.Stomp.Connectors;
using BrokerConsole.Tests.Infrastructure;

namespace BrokerConsole.Tests.Stomp;

/// <summary>A connector owns its port alone, and gets it back at once after a stop.</summary>
public sealed class ConnectorPortTests
{
    [Fact]
    public async Task SecondHostOnTheSamePort_FailsNamingBrokerUriAndPort()
    {
        await using var first = await TestHost.StartAsync();
        var port = first.StompPort();

        var e = await Assert.ThrowsAsync<Broker.Server.BrokerStartException>(() => TestHost.StartAsync(port));

        Assert.Equal($"broker b1 cannot listen at tcp://127.0.0.1:{port}: port {port} is already in use (another broker or program listens there); free it or configure another port", e.Message);
        await using var client = await StompTestClient.ConnectTcpAsync(port);
        Assert.Equal("CONNECTED", (await client.ConnectAsync()).Command);
    }

    [Fact]
    public async Task PortHeldByAProgramThatAllowsSharing_HostFailsToStart()
    {
        // What the connector itself did before: SO_REUSEADDR through .NET, which is SO_REUSEPORT too on Linux.
        using var other = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        other.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        other.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        other.Listen();
        var port = ((IPEndPoint)other.LocalEndPoint!).Port;

        var refused = await Assert.ThrowsAsync<Broker.Server.BrokerStartException>(() => TestHost.StartAsync(port));
        var e = Assert.IsType<ConnectorBindException>(refused.InnerException?.InnerException);

        Assert.Equal(port, e.Port);
        Assert.Equal("b1", e.BrokerName);
        Assert.Equal($"tcp://127.0.0.1:{port}", e.Uri);
    }

    [Fact]
    public async Task StoppedWithLiveConnections_ReopensOnTheSamePortAtOnce()
    {
        await using var host = await TestHost.StartAsync(TestHost.FreePort());
        var broker = host.Registry.Find("b1")!;
        var port = host.StompPort();
        var clients = new List<StompTestClient>();
        for (var i = 0; i < 5; i++)
        {
            var client = await StompTestClient.ConnectTcpAsync(port);
            clients.Add(client);
            Assert.Equal("CONNECTED", (await client.ConnectAsync()).Command);
        }

        await broker.StopByOperatorAsync();
        foreach (var client in clients)
        {
            Assert.True(await client.WaitForCloseAsync());
            await client.DisposeAsync();
        }
        // The broker closed first, so its ends of those connections now wait in TIME_WAIT.
        Assert.True(TimeWaitCount(port) is null or > 0, "no connection of the stopped connector is in TIME_WAIT");
        await broker.StartByOperatorAsync();

        Assert.Equal(port, broker.Connectors[0].BoundPort);
        await using var again = await StompTestClient.ConnectTcpAsync(port);
        Assert.Equal("CONNECTED", (await again.ConnectAsync()).Command);
    }

    [Fact]
    public async Task OperatorStartOnAPortTakenMeanwhile_ConflictNamingThePort()
    {
        await using var host = await TestHost.StartAsync(TestHost.FreePort());
        var port = host.StompPort();
        using var http = host.CreateHttpClient();
        Assert.True((await http.PostAsync("/api/brokers/b1/stop", null)).IsSuccessStatusCode);
        using var other = new TcpListener(IPAddress.Loopback, port);
        other.Start();

        var response = await http.PostAsync("/api/brokers/b1/start", null);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains($"port {port} is already in use", await response.Content.ReadAsStringAsync());
        Assert.False(host.Registry.Find("b1")!.ConnectorsOpen);
    }

    /// <summary>Connections in TIME_WAIT whose local port is <paramref name="port"/>; null where /proc does not tell.</summary>
    private static int? TimeWaitCount(int port)
    {
        const string table = "/proc/net/tcp";
        if (!File.Exists(table))
        {
            return null;
        }
        // "  sl  local_address rem_address   st ...": addresses as hex IP:port, state 06 = TIME_WAIT.
        return File.ReadLines(table).Skip(1)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Count(fields => fields[3] == "06" && int.Parse(fields[1].Split(':')[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture) == port);
    }
}

/// <summary>The real executable on a busy port: one clear line and exit code 2.</summary>
[Collection("Processes")]
public sealed class BusyPortProcessTests
{
    [Fact]
    public async Task BusyStompPort_ProcessExitsWithCode2NamingThePort()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var port = ((IPEndPoint)holder.LocalEndpoint).Port;
        await using var broker = BrokerProcess.Create(new BrokerProcessOptions { Settings = [$"--Brokers:b1:Connectors:0=tcp://127.0.0.1:{port}"] });

        Assert.False(await broker.TryStartAsync(timeout.Token), broker.Describe());

        Assert.Equal(2, broker.ExitCode);
        Assert.Contains($"broker b1 cannot listen at tcp://127.0.0.1:{port}: port {port} is already in use", broker.Output, StringComparison.Ordinal);
    }
}
