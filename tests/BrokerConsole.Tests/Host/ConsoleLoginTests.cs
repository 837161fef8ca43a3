using System.Net.Http.Json;
using System.Net;
using System.Text.RegularExpressions;
using BrokerConsole.Tests.Infrastructure;

namespace BrokerConsole.Tests.Host;

public sealed partial class ConsoleLoginTests : IAsyncLifetime
{
    private TestHost _host = null!;

    public async Task InitializeAsync() => _host = await TestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private HttpClient Browser(CookieContainer cookies) =>
        new(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = cookies }) { BaseAddress = _host.HttpUri };

    /// <summary>Logs in through the console's form, as a browser does (its antiforgery token included).</summary>
    internal static async Task<HttpResponseMessage> LogInAsync(HttpClient browser, string user, string password, string returnUrl = "/")
    {
        var form = await browser.GetStringAsync("/login");
        var token = VerificationToken().Match(form).Groups[1].Value;
        return await browser.PostAsync($"/login?ReturnUrl={Uri.EscapeDataString(returnUrl)}", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login",
            ["__RequestVerificationToken"] = token,
            ["Input.UserName"] = user,
            ["Input.Password"] = password,
        }));
    }

    [Fact]
    public async Task ConsolePage_NoCookie_RedirectsToLogin()
    {
        using var browser = Browser(new CookieContainer());

        var response = await browser.GetAsync("/events");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/login", response.Headers.Location!.AbsolutePath);
    }

    [Theory]
    [InlineData("/api/brokers")]
    [InlineData("/hubs/monitor/negotiate?negotiateVersion=1")]
    public async Task ApiAndHub_NoCredentials_401NeverRedirect(string path)
    {
        using var browser = Browser(new CookieContainer());

        var response = path.StartsWith("/hubs", StringComparison.Ordinal) ? await browser.PostAsync(path, null) : await browser.GetAsync(path);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.StartsWith("Basic", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Login_Admin_CookieOpensPagesAndApi()
    {
        using var browser = Browser(new CookieContainer());

        var login = await LogInAsync(browser, "admin", "admin", "/events");

        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        Assert.Equal("/events", login.Headers.Location!.OriginalString.Replace(_host.HttpUri.ToString().TrimEnd('/'), "", StringComparison.Ordinal));
        Assert.Contains("<h1", await browser.GetStringAsync("/"), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/api/brokers")).StatusCode);
    }

    [Fact]
    public async Task ConsolePages_Admin_RenderWithTheRealServices()
    {
        using var api = _host.CreateHttpClient();
        Assert.Equal(HttpStatusCode.OK, (await api.PostAsJsonAsync("/api/brokers/b1/queues/pages/messages", new { body = "page body" })).StatusCode);
        using var browser = Browser(new CookieContainer());
        await LogInAsync(browser, "admin", "admin");

        foreach (var (path, expected) in new[]
        {
            ("/", "Brokers"), ("/destinations", "Queues and topics"), ("/brokers/b1/destinations", "Queues and topics"),
            ("/brokers/b1/queues/pages", "Queue"), ("/send", "Send a test message"), ("/events", "Events"),
        })
        {
            var response = await browser.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains(expected, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task SendPage_Viewer_NotAllowed()
    {
        using var browser = Browser(new CookieContainer());
        await LogInAsync(browser, "viewer", "viewer");

        var response = await browser.GetAsync("/send");

        // The page's admin policy is enforced by the endpoint, before anything renders: access denied goes to the login page.
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.DoesNotContain("send-submit", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Login_WrongPasswordOrProducer_NoCookie()
    {
        var cookies = new CookieContainer();
        using var browser = Browser(cookies);

        var wrong = await LogInAsync(browser, "admin", "nope");
        var producer = await LogInAsync(browser, "producer", "producer");

        Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.OK, producer.StatusCode);
        Assert.DoesNotContain(cookies.GetAllCookies(), c => c.Name == "BrokerConsole");
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/api/brokers")).StatusCode);
    }

    [Fact]
    public async Task Login_ForeignReturnUrl_GoesHome()
    {
        using var browser = Browser(new CookieContainer());

        var login = await LogInAsync(browser, "viewer", "viewer", "//evil.example/");

        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        Assert.Equal(_host.HttpUri.Authority, new Uri(_host.HttpUri, login.Headers.Location!).Authority);
        Assert.Equal("/", new Uri(_host.HttpUri, login.Headers.Location!).AbsolutePath);
    }

    [Fact]
    public async Task StaticAssets_FrameworkAndFluentUi_Served()
    {
        using var http = _host.CreateHttpClient(user: null);
        var page = await http.GetStringAsync("/login");

        foreach (Match asset in AssetReference().Matches(page))
        {
            var response = await http.GetAsync(asset.Groups[1].Value);
            Assert.True(response.IsSuccessStatusCode, $"{asset.Groups[1].Value}: {response.StatusCode}");
        }
        Assert.Contains("_framework/blazor.web", page, StringComparison.Ordinal);
        Assert.Contains("_content/Microsoft.FluentUI.AspNetCore.Components/", page, StringComparison.Ordinal);
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    internal static partial Regex VerificationToken();

    [GeneratedRegex("(?:src|href)=\"((?:_framework|_content)/[^\"]+|BrokerConsole[^\"]*\\.css)\"")]
    private static partial Regex AssetReference();
}
