using System.Net;
using System.Text.Json;
using BrokerConsole.Tests.Infrastructure;
using BrokerConsole.Tests.Stomp;

namespace BrokerConsole.Tests.Host;

/// <summary><c>GET /api/brokers/{b}/scheduled</c> and <c>DELETE /api/brokers/{b}/scheduled/{jobId}</c> (docs/API.md).</summary>
public sealed class ScheduledApiTests : IAsyncLifetime
{
    private TestHost _host = null!;

    public async Task InitializeAsync() => _host = await TestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Scheduled_ListedForViewers_CancelledByAdmins_GoneAfter()
    {
        await using var client = await StompTestClient.ConnectTcpAsync(_host.StompPort());
        await client.ConnectAsync();
        await client.SendTextAsync("/queue/later", "in an hour", ("receipt", "r1"), ("persistent", "true"),
            ("AMQ_SCHEDULED_DELAY", "3600000"), ("AMQ_SCHEDULED_PERIOD", "1000"), ("AMQ_SCHEDULED_REPEAT", "2"));
        Assert.Equal("RECEIPT", (await client.ReceiveAsync()).Command);
        await client.SendTextAsync("/queue/later", "hourly", ("receipt", "r2"), ("AMQ_SCHEDULED_CRON", "0 * * * *"));
        Assert.Equal("RECEIPT", (await client.ReceiveAsync()).Command);
        using var viewer = _host.CreateHttpClient("viewer");
        using var admin = _host.CreateHttpClient();

        var jobs = JsonDocument.Parse(await viewer.GetStringAsync("/api/brokers/b1/scheduled")).RootElement;

        Assert.Equal(2, jobs.GetArrayLength());
        Assert.Equal(2, JsonDocument.Parse(await viewer.GetStringAsync("/api/brokers/b1")).RootElement.GetProperty("scheduledJobs").GetInt32());
        var cron = jobs.EnumerateArray().Single(j => j.GetProperty("cron").GetString() == "0 * * * *");
        var delayed = jobs.EnumerateArray().Single(j => j.GetProperty("cron").ValueKind == JsonValueKind.Null);
        Assert.Equal("/queue/later", delayed.GetProperty("destination").GetString());
        Assert.Equal(2, delayed.GetProperty("repeatsLeft").GetInt32());
        Assert.Equal(1000, delayed.GetProperty("periodMs").GetInt64());
        Assert.InRange(delayed.GetProperty("nextDue").GetDateTimeOffset(), DateTimeOffset.UtcNow.AddMinutes(59), DateTimeOffset.UtcNow.AddMinutes(61));
        Assert.Equal(delayed.GetProperty("jobId").GetString(), delayed.GetProperty("messageId").GetString());
        Assert.True(delayed.GetProperty("size").GetInt64() > 0);

        var jobId = delayed.GetProperty("jobId").GetString()!;
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.DeleteAsync($"/api/brokers/b1/scheduled/{Uri.EscapeDataString(jobId)}")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/brokers/b1/scheduled/{Uri.EscapeDataString(jobId)}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.DeleteAsync($"/api/brokers/b1/scheduled/{Uri.EscapeDataString(jobId)}")).StatusCode);

        var left = JsonDocument.Parse(await viewer.GetStringAsync("/api/brokers/b1/scheduled")).RootElement;
        Assert.Equal(cron.GetProperty("jobId").GetString(), Assert.Single(left.EnumerateArray()).GetProperty("jobId").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await viewer.GetAsync("/api/brokers/nope/scheduled")).StatusCode);
    }

    [Fact]
    public async Task BadScheduleHeader_IsAnErrorFrameNamingIt()
    {
        await using var client = await StompTestClient.ConnectTcpAsync(_host.StompPort());
        await client.ConnectAsync();
        await client.SendTextAsync("/queue/later", "x", ("receipt", "r1"), ("AMQ_SCHEDULED_DELAY", "soon"));

        var error = await client.ReceiveAsync();

        Assert.Equal("ERROR", error.Command);
        Assert.Contains("AMQ_SCHEDULED_DELAY", error["message"]);
    }
}
