using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Serialization;
using Broker.Core.Events;
using BrokerConsole.Api;
using BrokerConsole.Monitoring;
using BrokerConsole.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace BrokerConsole.Tests.Monitoring;

public sealed class MonitorHubTests : IAsyncLifetime
{
    private TestHost _host = null!;

    public async Task InitializeAsync() => _host = await TestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private HubConnection Connect(string? user = "admin", string? password = null)
    {
        var builder = new HubConnectionBuilder()
            .WithUrl(new Uri(_host.HttpUri, "/hubs/monitor"), options =>
            {
                if (user is not null)
                {
                    var token = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{user}:{password ?? user}"));
                    options.Headers["Authorization"] = $"Basic {token}";
                }
            })
            .AddJsonProtocol(o => o.PayloadSerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        return builder.Build();
    }

    [Fact]
    public async Task StreamBrokers_BasicAdmin_FirstItemIsSnapshotWithB1()
    {
        await using var connection = Connect();
        await connection.StartAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));

        await using var stream = connection.StreamAsync<IReadOnlyList<BrokerView>>("StreamBrokers", timeout.Token).GetAsyncEnumerator(timeout.Token);

        Assert.True(await stream.MoveNextAsync());
        var b1 = Assert.Single(stream.Current, b => b.Name == "b1");
        Assert.Equal("master", b1.Role);
        Assert.NotEmpty(b1.Connectors);
    }

    [Fact]
    public async Task StreamEvents_AfterSend_DeliversDestinationCreated()
    {
        await using var connection = Connect("viewer");
        await connection.StartAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await using var stream = connection.StreamAsync<IReadOnlyList<BrokerEvent>>("StreamEvents", timeout.Token).GetAsyncEnumerator(timeout.Token);
        Assert.True(await stream.MoveNextAsync());
        Assert.Contains(stream.Current, e => e.Kind == BrokerEventKind.BrokerStarted && e.Broker == "b1");

        using var http = _host.CreateHttpClient();
        var sent = await http.PostAsJsonAsync("/api/brokers/b1/queues/hub.events/messages", new { body = "x" });
        Assert.Equal(HttpStatusCode.OK, sent.StatusCode);

        while (await stream.MoveNextAsync())
        {
            if (stream.Current.Any(e => e.Kind == BrokerEventKind.DestinationCreated && e.Detail.Contains("hub.events", StringComparison.Ordinal)))
            {
                return;
            }
        }
        Assert.Fail("the stream ended without DestinationCreated");
    }

    [Fact]
    public async Task StreamDestinations_AfterSend_DeliversTheQueueWithItsDepth()
    {
        await using var connection = Connect("viewer");
        await connection.StartAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await using var stream = connection.StreamAsync<DestinationChanges>("StreamDestinations", "b1", timeout.Token).GetAsyncEnumerator(timeout.Token);
        Assert.True(await stream.MoveNextAsync());
        Assert.True(stream.Current.IsSnapshot);

        using var http = _host.CreateHttpClient();
        var sent = await http.PostAsJsonAsync("/api/brokers/b1/queues/hub.destinations/messages", new { body = "x", count = 3 });
        Assert.Equal(HttpStatusCode.OK, sent.StatusCode);

        while (await stream.MoveNextAsync())
        {
            if (stream.Current.Updated.Any(r => r.Name == "hub.destinations" && r.Kind == "queue" && r.Pending == 3))
            {
                return;
            }
        }
        Assert.Fail("the stream ended without the queue at depth 3");
    }

    [Fact]
    public async Task Connect_WithoutCredentials_Is401()
    {
        await using var connection = Connect(user: null);

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => connection.StartAsync());

        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
    }

    [Fact]
    public async Task Negotiate_WithoutCredentials_Is401WithBasicChallenge()
    {
        using var http = _host.CreateHttpClient(user: null);

        var response = await http.PostAsync("/hubs/monitor/negotiate?negotiateVersion=1", null);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.StartsWith("Basic", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void MonitorSource_IsOneSingleton()
    {
        Assert.Same(_host.Services.GetRequiredService<BrokerConsole.Monitoring.IMonitorSource>(),
            _host.Services.GetRequiredService<BrokerConsole.Monitoring.MonitorSource>());
    }
}
