using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;

namespace BrokerConsole.Tests.Host;

/// <summary>
/// A page of another port of the same host (the same site, so <c>SameSite=Strict</c> lets the cookie through) must not
/// change anything with the console's cookie; scripts with Basic credentials and the console itself keep working.
/// </summary>
public sealed class CrossSiteRequestTests : IAsyncLifetime
{
    private const string ForeignOrigin = "http://127.0.0.1:9999";
    private TestHost _host = null!;

    public async Task InitializeAsync() => _host = await TestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private string OwnOrigin => _host.HttpUri.GetLeftPart(UriPartial.Authority);

    private async Task<HttpClient> LoggedInBrowserAsync(string user = "admin")
    {
        var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() }) { BaseAddress = _host.HttpUri };
        var login = await ConsoleLoginTests.LogInAsync(browser, user, user);
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        return browser;
    }

    private static HttpRequestMessage Post(string path, string? origin = null, string? referer = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path);
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }
        if (referer is not null)
        {
            request.Headers.Referrer = new Uri(referer);
        }
        return request;
    }

    private async Task<string?> StateAsync()
    {
        using var api = _host.CreateHttpClient();
        return JsonDocument.Parse(await api.GetStringAsync("/api/brokers/b1")).RootElement.GetProperty("state").GetString();
    }

    [Fact]
    public async Task CookieStop_ForeignOrigin_403AndBrokerStillRuns()
    {
        using var browser = await LoggedInBrowserAsync();

        var response = await browser.SendAsync(Post("/api/brokers/b1/stop", origin: ForeignOrigin));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var detail = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString();
        Assert.Contains($"Origin '{ForeignOrigin}' is not this console's origin", detail, StringComparison.Ordinal);
        Assert.Equal("master unprotected", await StateAsync());
        Assert.Contains("Refused cross-site POST /api/brokers/b1/stop carrying the credentials of admin", await _host.WaitForLogAsync("Refused cross-site"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CookieStop_SameOrigin_Stops()
    {
        using var browser = await LoggedInBrowserAsync();

        var response = await browser.SendAsync(Post("/api/brokers/b1/stop", origin: OwnOrigin));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("stopped", await StateAsync());
    }

    [Fact]
    public async Task CookieSend_SameOriginRefererWithoutOrigin_Sends()
    {
        using var browser = await LoggedInBrowserAsync();
        var request = Post("/api/brokers/b1/queues/csrf/messages", referer: OwnOrigin + "/send");
        request.Content = JsonContent.Create(new { body = "x" });

        var response = await browser.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task CookieSend_ForeignRefererWithoutOrigin_403()
    {
        using var browser = await LoggedInBrowserAsync();
        var request = Post("/api/brokers/b1/queues/csrf/messages", referer: ForeignOrigin + "/attack.html");
        request.Content = JsonContent.Create(new { body = "x" });

        var response = await browser.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Null(_host.Registry.Find("b1")!.Broker.GetDestination(Broker.Core.Messages.DestinationName.Queue("csrf")));
    }

    [Fact]
    public async Task CookieStop_NoOriginNoReferer_403()
    {
        using var browser = await LoggedInBrowserAsync();

        var response = await browser.SendAsync(Post("/api/brokers/b1/stop"));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var detail = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString();
        Assert.Contains("needs an Origin or Referer header", detail, StringComparison.Ordinal);
        Assert.Equal("master unprotected", await StateAsync());
    }

    [Fact]
    public async Task CookieStop_AntiforgeryTokenWithoutOrigin_Stops()
    {
        using var browser = await LoggedInBrowserAsync();
        // Every page of the console carries a token for the signed-in user (the log-out form).
        var page = await browser.GetStringAsync("/");
        var request = Post("/api/brokers/b1/stop");
        request.Headers.Add("RequestVerificationToken", WebUtility.HtmlDecode(ConsoleLoginTests.VerificationToken().Match(page).Groups[1].Value));

        var response = await browser.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("stopped", await StateAsync());
    }

    [Fact]
    public async Task BasicStop_NoOrigin_Stops()
    {
        using var api = _host.CreateHttpClient();

        var response = await api.SendAsync(Post("/api/brokers/b1/stop"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("stopped", await StateAsync());
    }

    [Fact]
    public async Task BasicStop_ForeignOrigin_403()
    {
        // Basic credentials a browser remembered after its prompt travel with a foreign page's form too.
        using var api = _host.CreateHttpClient();

        var response = await api.SendAsync(Post("/api/brokers/b1/stop", origin: ForeignOrigin));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("master unprotected", await StateAsync());
    }

    [Fact]
    public async Task CookieRead_ForeignOriginRefusedSameOriginOrNoneServed()
    {
        using var browser = await LoggedInBrowserAsync("viewer");
        var foreign = new HttpRequestMessage(HttpMethod.Get, "/api/brokers");
        foreign.Headers.Add("Origin", ForeignOrigin);
        var own = new HttpRequestMessage(HttpMethod.Get, "/api/brokers");
        own.Headers.Add("Origin", OwnOrigin);

        Assert.Equal(HttpStatusCode.Forbidden, (await browser.SendAsync(foreign)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.SendAsync(own)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/api/brokers")).StatusCode);
    }

    [Fact]
    public async Task CookieHubNegotiate_ForeignOrigin_403()
    {
        using var browser = await LoggedInBrowserAsync("viewer");

        var foreign = await browser.SendAsync(Post("/hubs/monitor/negotiate?negotiateVersion=1", origin: ForeignOrigin));
        var own = await browser.SendAsync(Post("/hubs/monitor/negotiate?negotiateVersion=1", origin: OwnOrigin));

        Assert.Equal(HttpStatusCode.Forbidden, foreign.StatusCode);
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
    }

    [Fact]
    public async Task CookieLogout_ForeignOrigin_403AndStillLoggedIn()
    {
        using var browser = await LoggedInBrowserAsync("viewer");

        var response = await browser.SendAsync(Post("/logout", origin: ForeignOrigin));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/api/brokers")).StatusCode);
    }

    [Fact]
    public async Task StompWebSocket_ForeignOriginWithCookie_StillServed()
    {
        // STOMP over WebSocket takes its credentials from CONNECT, not the cookie: browser apps of other origins use it.
        var cookies = new CookieContainer();
        using (var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = cookies }) { BaseAddress = _host.HttpUri })
        {
            await ConsoleLoginTests.LogInAsync(browser, "admin", "admin");
        }
        using var socket = new ClientWebSocket();
        socket.Options.Cookies = cookies;
        socket.Options.SetRequestHeader("Origin", ForeignOrigin);
        socket.Options.AddSubProtocol("v12.stomp");

        await socket.ConnectAsync(new Uri($"ws://{_host.HttpUri.Authority}/brokers/b1/stomp"), CancellationToken.None);

        Assert.Equal(WebSocketState.Open, socket.State);
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
    }
}
