using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using BrokerConsole.Api;
using BrokerConsole.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace BrokerConsole.Tests.Host;

public sealed class QueueApiTests : IAsyncLifetime
{
    private TestHost _host = null!;

    public async Task InitializeAsync() => _host = await TestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<JsonElement> GetAsync(string path, string user = "admin") =>
        JsonDocument.Parse(await _host.CreateHttpClient(user).GetStringAsync(path)).RootElement;

    private async Task<JsonElement> SendAsync(string queue, object request)
    {
        using var http = _host.CreateHttpClient();
        var response = await http.PostAsJsonAsync($"/api/brokers/b1/queues/{queue}/messages", request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
    }

    [Fact]
    public async Task Purge_WhileOneRunsFromTheConsole_409WithItsProgress_ThenAllowed()
    {
        await SendAsync("orders", new { body = "x", count = 5 });
        var operations = _host.Services.GetRequiredService<RunningOperations>();
        var running = operations.Start(RunningOperations.PurgeKey("b1", "orders"), "a purge of queue 'orders' on b1", 50_000);
        running.Report(12_000);
        using var http = _host.CreateHttpClient();

        var refused = await http.DeleteAsync("/api/brokers/b1/queues/orders/messages");

        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("a purge of queue 'orders' on b1 is already running (12,000 of 50,000)", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(5, (await GetAsync("/api/brokers/b1/queues/orders/messages")).GetProperty("total").GetInt32());
        running.Dispose();
        var purged = await http.DeleteAsync("/api/brokers/b1/queues/orders/messages");
        Assert.Equal(5, JsonDocument.Parse(await purged.Content.ReadAsStringAsync()).RootElement.GetProperty("purged").GetInt32());
    }

    [Fact]
    public async Task Send_CountCopies_ThenBrowsePagedWithoutConsuming()
    {
        var sent = await SendAsync("orders", new { body = "hello <b>", headers = new Dictionary<string, string> { ["x-kind"] = "test" }, persistent = true, count = 25 });

        Assert.Equal(25, sent.GetProperty("sent").GetInt32());
        var page = await GetAsync("/api/brokers/b1/queues/orders/messages?offset=20&limit=10", "viewer");
        Assert.Equal(25, page.GetProperty("total").GetInt32());
        Assert.Equal(5, page.GetProperty("items").GetArrayLength());
        var first = page.GetProperty("items")[0];
        Assert.Equal("hello <b>", first.GetProperty("body").GetString());
        Assert.Equal("text", first.GetProperty("bodyEncoding").GetString());
        Assert.Equal("test", first.GetProperty("headers").GetProperty("x-kind").GetString());
        Assert.Equal(25, (await GetAsync("/api/brokers/b1/queues/orders/messages")).GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Browse_FilterMatchesHeadersAndBody()
    {
        await SendAsync("mixed", new { body = "apple pie" });
        await SendAsync("mixed", new { body = "plain", headers = new Dictionary<string, string> { ["fruit"] = "apple" } });
        await SendAsync("mixed", new { body = "other" });

        var page = await GetAsync("/api/brokers/b1/queues/mixed/messages?filter=apple");

        Assert.Equal(2, page.GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Browse_SelectorMatchesAsASubscriberWould_AndABadOneIsRefusedWithItsPosition()
    {
        await SendAsync("orders-eu", new { body = "big eu", headers = new Dictionary<string, string> { ["region"] = "EU", ["amount"] = "150" } });
        await SendAsync("orders-eu", new { body = "small eu", headers = new Dictionary<string, string> { ["region"] = "EU", ["amount"] = "50" } });
        await SendAsync("orders-eu", new { body = "big us", headers = new Dictionary<string, string> { ["region"] = "US", ["amount"] = "150" } });

        var page = await GetAsync("/api/brokers/b1/queues/orders-eu/messages?selector=" + Uri.EscapeDataString("region = 'EU' AND amount > 100"));
        var both = await GetAsync("/api/brokers/b1/queues/orders-eu/messages?filter=small&selector=" + Uri.EscapeDataString("region = 'EU'"));
        using var http = _host.CreateHttpClient();
        var bad = await http.GetAsync("/api/brokers/b1/queues/orders-eu/messages?selector=" + Uri.EscapeDataString("region = "));

        Assert.Equal(["big eu"], page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("body").GetString()));
        Assert.Equal(["small eu"], both.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("body").GetString()));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("position 10", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BinaryBody_Base64RoundTrip()
    {
        await SendAsync("bin", new { body = Convert.ToBase64String(new byte[] { 0, 1, 2, 255 }), bodyEncoding = "base64" });

        var item = (await GetAsync("/api/brokers/b1/queues/bin/messages")).GetProperty("items")[0];

        Assert.Equal("base64", item.GetProperty("bodyEncoding").GetString());
        Assert.Equal(new byte[] { 0, 1, 2, 255 }, Convert.FromBase64String(item.GetProperty("body").GetString()!));
    }

    [Fact]
    public async Task DeleteMoveCopyPurgeAndDeleteQueue()
    {
        var ids = (await SendAsync("work", new { body = "m", count = 4 })).GetProperty("messageIds").EnumerateArray().Select(e => e.GetString()!).ToList();
        using var http = _host.CreateHttpClient();

        Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync($"/api/brokers/b1/queues/work/messages/{ids[0]}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.DeleteAsync($"/api/brokers/b1/queues/work/messages/{ids[0]}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsJsonAsync($"/api/brokers/b1/queues/work/messages/{ids[1]}/move", new { target = "elsewhere" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsJsonAsync($"/api/brokers/b1/queues/work/messages/{ids[2]}/copy", new { target = "/queue/elsewhere" })).StatusCode);
        Assert.Equal(2, (await GetAsync("/api/brokers/b1/queues/work/messages")).GetProperty("total").GetInt32());
        Assert.Equal(2, (await GetAsync("/api/brokers/b1/queues/elsewhere/messages")).GetProperty("total").GetInt32());

        var purge = JsonDocument.Parse(await (await http.DeleteAsync("/api/brokers/b1/queues/work/messages")).Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(2, purge.GetProperty("purged").GetInt32());
        Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync("/api/brokers/b1/queues/elsewhere")).StatusCode);
        Assert.DoesNotContain((await GetAsync("/api/brokers/b1/destinations")).GetProperty("items").EnumerateArray(), d => d.GetProperty("name").GetString() == "elsewhere");
        Assert.Contains("AUDIT admin purge b1/queue/work", await _host.WaitForLogAsync("AUDIT admin purge b1/queue/work"));
    }

    [Fact]
    public async Task Viewer_MayReadButNotChange()
    {
        using var viewer = _host.CreateHttpClient("viewer");

        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsJsonAsync("/api/brokers/b1/queues/q/messages", new { body = "x" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.DeleteAsync("/api/brokers/b1/queues/q/messages")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsync("/api/brokers/b1/stop", null)).StatusCode);
    }

    [Fact]
    public async Task StopAndStart_ClosesAndReopensTheConnector()
    {
        using var http = _host.CreateHttpClient();

        var stopped = JsonDocument.Parse(await (await http.PostAsync("/api/brokers/b1/stop", null)).Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("stopped", stopped.GetProperty("state").GetString());
        await Assert.ThrowsAnyAsync<System.Net.Sockets.SocketException>(() => StompTestClient.ConnectTcpAsync(_host.StompPort()));
        Assert.Equal(HttpStatusCode.OK, (await _host.CreateHttpClient(user: null).GetAsync("/health/ready")).StatusCode);

        var started = JsonDocument.Parse(await (await http.PostAsync("/api/brokers/b1/start", null)).Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("master unprotected", started.GetProperty("state").GetString());
        await using var client = await StompTestClient.ConnectTcpAsync(_host.StompPort());
        Assert.Equal("CONNECTED", (await client.ConnectAsync()).Command);
    }

    [Fact]
    public async Task Promote_AMaster_Conflict()
    {
        using var http = _host.CreateHttpClient();

        var response = await http.PostAsync("/api/brokers/b1/promote", null);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("already a master", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task BodyDownload_Viewer_GetsTheBytes()
    {
        var sent = await SendAsync("download", new { body = Convert.ToBase64String(new byte[] { 0, 1, 2, 255 }), bodyEncoding = "base64" });
        var id = sent.GetProperty("messageIds")[0].GetString()!;

        var body = await _host.CreateHttpClient("viewer").GetByteArrayAsync($"/api/brokers/b1/queues/download/messages/{Uri.EscapeDataString(id)}/body");

        Assert.Equal(new byte[] { 0, 1, 2, 255 }, body);
    }

    [Fact]
    public async Task BodyDownload_HtmlBody_IsAnAttachmentOfBytes_NeverAPage()
    {
        var sent = await SendAsync("html", new { body = "<script>alert(1)</script>", headers = new Dictionary<string, string> { ["content-type"] = "text/html" } });
        var id = sent.GetProperty("messageIds")[0].GetString()!;

        using var response = await _host.CreateHttpClient("viewer").GetAsync($"/api/brokers/b1/queues/html/messages/{Uri.EscapeDataString(id)}/body");

        Assert.Equal("application/octet-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal("nosniff", string.Join(",", response.Headers.GetValues("X-Content-Type-Options")));
    }

    [Fact]
    public async Task Retry_DeadLettered_BackToOriginalQueue()
    {
        var sent = await SendAsync("DLQ.work", new { body = "failed", headers = new Dictionary<string, string> { ["original-destination"] = "/queue/work" } });
        var id = sent.GetProperty("messageIds")[0].GetString()!;
        using var http = _host.CreateHttpClient();

        var retried = await http.PostAsync($"/api/brokers/b1/queues/DLQ.work/messages/{Uri.EscapeDataString(id)}/retry", null);

        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        Assert.Equal(1, (await GetAsync("/api/brokers/b1/queues/work/messages")).GetProperty("total").GetInt32());
        Assert.Equal(0, (await GetAsync("/api/brokers/b1/queues/DLQ.work/messages")).GetProperty("total").GetInt32());
    }
}
