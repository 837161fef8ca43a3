using System.Net;
using System.Text.Json;
using BrokerConsole.Tests.Infrastructure;
using BrokerConsole.Tests.Stomp;

namespace BrokerConsole.Tests.Host;

public sealed class ApiTests : IAsyncLifetime
{
    private TestHost _host = null!;

    public async Task InitializeAsync() => _host = await TestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Brokers_ListsBoundPortStateAndRole()
    {
        using var http = _host.CreateHttpClient();

        var brokers = JsonDocument.Parse(await http.GetStringAsync("/api/brokers")).RootElement;

        var broker = Assert.Single(brokers.EnumerateArray());
        Assert.Equal("b1", broker.GetProperty("name").GetString());
        Assert.Equal("master", broker.GetProperty("role").GetString());
        Assert.Equal("master unprotected", broker.GetProperty("state").GetString());
        Assert.Equal("none", broker.GetProperty("replication").GetProperty("linkState").GetString());
        var connector = broker.GetProperty("connectors")[0];
        Assert.Equal(_host.StompPort(), connector.GetProperty("boundPort").GetInt32());
        Assert.True(connector.GetProperty("open").GetBoolean());
    }

    [Fact]
    public async Task Destinations_ShowDepthsAfterSends()
    {
        await using var client = await StompTestClient.ConnectTcpAsync(_host.StompPort());
        await client.ConnectAsync();
        for (var i = 0; i < 3; i++)
        {
            await client.SendTextAsync("/queue/orders", "x", ("receipt", $"r{i}"));
            await client.ReceiveAsync();
        }
        using var http = _host.CreateHttpClient("viewer");

        var page = JsonDocument.Parse(await http.GetStringAsync("/api/brokers/b1/destinations?kind=queue&search=ord")).RootElement;

        Assert.Equal(1, page.GetProperty("total").GetInt32());
        var row = page.GetProperty("items")[0];
        Assert.Equal("orders", row.GetProperty("name").GetString());
        Assert.Equal(3, row.GetProperty("pending").GetInt64());
        Assert.Equal(3, row.GetProperty("enqueued").GetInt64());
    }

    [Fact]
    public async Task NoCredentials_401WithBasicChallenge_NeverARedirect()
    {
        using var http = _host.CreateHttpClient(user: null);

        var response = await http.GetAsync("/api/brokers");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("Basic", response.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task WrongPassword_401()
    {
        using var http = _host.CreateHttpClient("admin", "nope");

        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/api/brokers")).StatusCode);
    }

    [Fact]
    public async Task RoleWithoutView_403()
    {
        using var http = _host.CreateHttpClient("producer");

        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync("/api/brokers")).StatusCode);
    }

    [Fact]
    public async Task UnknownBroker_404ProblemDetails()
    {
        using var http = _host.CreateHttpClient();

        var response = await http.GetAsync("/api/brokers/nope");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("nope", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Health_LiveAndReady_Anonymous()
    {
        using var http = _host.CreateHttpClient(user: null);

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/live")).StatusCode);
        var ready = await http.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Contains("b1", await ready.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Health_ReadyIs503WhileASlaveWaitsForItsMaster()
    {
        await using var host = await TestHost.StartAsync(0, [.. TestHost.ReplicationSettings, $"--Brokers:b1:MasterConnectorUri=tcp://127.0.0.1:{TestHost.FreePort()}"]);
        using var http = host.CreateHttpClient(user: null);

        var ready = await http.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains("waiting for master", await ready.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Metrics_PrometheusTextWithBrokerCounters()
    {
        await using var client = await StompTestClient.ConnectTcpAsync(_host.StompPort());
        await client.ConnectAsync();
        await ConnectTests.RoundTrip(client);
        using var http = _host.CreateHttpClient(user: null);

        var text = await http.GetStringAsync("/metrics");

        Assert.Contains("broker_connections{broker=\"b1\"} 1", text);
        Assert.Contains("# TYPE broker_messages_in_total counter", text);
        Assert.Matches("broker_messages_out_total\\{broker=\"b1\"\\} [1-9]", text);
        Assert.Contains("broker_destinations{broker=\"b1\",kind=\"queue\"} 1", text);
        Assert.Contains("broker_pending{broker=\"b1\"} 0", text);
    }

    [Fact]
    public async Task Events_RecordStartAndDestinationCreation()
    {
        await using var client = await StompTestClient.ConnectTcpAsync(_host.StompPort());
        await client.ConnectAsync();
        await ConnectTests.RoundTrip(client);
        using var http = _host.CreateHttpClient();

        var events = JsonDocument.Parse(await http.GetStringAsync("/api/events")).RootElement.EnumerateArray()
            .Select(e => e.GetProperty("kind").GetString()).ToList();

        Assert.Contains("BrokerStarted", events);
        Assert.Contains("ConnectorStarted", events);
        Assert.Contains("DestinationCreated", events);
    }
}
