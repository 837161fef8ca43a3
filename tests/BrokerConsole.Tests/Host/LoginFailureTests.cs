using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace BrokerConsole.Tests.Host;

/// <summary>
/// Repeated wrong passwords from one address lock that address out of Basic, the console's form, STOMP and the
/// replication login (they share the authenticator), while the same user still logs in from another address
/// (127.0.0.2: Linux routes all of 127/8 to the loopback). Expiry is proven with a hand-moved clock in LoginThrottleTests.
/// </summary>
public sealed class LoginFailureTests : IAsyncLifetime
{
    private static readonly IPAddress Elsewhere = IPAddress.Parse("127.0.0.2");
    private TestHost _host = null!;

    public async Task InitializeAsync() => _host = await TestHost.StartAsync(TestHost.ReplicationSettings);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    /// <summary>A client whose connections come from <paramref name="from"/>.</summary>
    private HttpClient From(IPAddress from, string? user = null, string? password = null)
    {
        var client = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            CookieContainer = new CookieContainer(),
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(from, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        })
        { BaseAddress = _host.HttpUri, Timeout = TimeSpan.FromSeconds(30) };
        if (user is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        }
        return client;
    }

    [Fact]
    public async Task Basic_FiveWrong_RightOneRefusedWithRetryAfter_OtherAddressServed()
    {
        using (var guesser = From(IPAddress.Loopback, "admin", "wrong"))
        {
            for (var i = 0; i < 5; i++)
            {
                Assert.Equal(HttpStatusCode.Unauthorized, (await guesser.GetAsync("/api/brokers")).StatusCode);
            }
        }
        using var sameAddress = From(IPAddress.Loopback, "admin", "admin");
        using var otherAddress = From(Elsewhere, "admin", "admin");

        var refused = await sameAddress.GetAsync("/api/brokers");
        var served = await otherAddress.GetAsync("/api/brokers");

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(30), refused.Headers.RetryAfter?.Delta);
        Assert.StartsWith("too many failed logins, retry later", JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Contains("AUDIT admin login-locked 127.0.0.1 5 failed logins of admin from 127.0.0.1", await _host.WaitForLogAsync("login-locked"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task FormLogin_FiveWrong_RightOneRefused_OtherAddressLogsIn()
    {
        using var browser = From(IPAddress.Loopback);
        for (var i = 0; i < 5; i++)
        {
            Assert.Contains("wrong password", await (await ConsoleLoginTests.LogInAsync(browser, "admin", "wrong")).Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using var elsewhere = From(Elsewhere);

        var refused = await ConsoleLoginTests.LogInAsync(browser, "admin", "admin");
        var loggedIn = await ConsoleLoginTests.LogInAsync(elsewhere, "admin", "admin");

        Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
        Assert.Contains("too many failed logins, retry later (in 30 s)", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/api/brokers")).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, loggedIn.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await elsewhere.GetAsync("/api/brokers")).StatusCode);
    }

    [Fact]
    public async Task StompConnect_FiveWrong_RightOneRefusedWithError_OtherAddressConnects()
    {
        for (var i = 0; i < 5; i++)
        {
            await using var guesser = await StompTestClient.ConnectTcpAsync(_host.StompPort());
            Assert.Contains("login failed", (await guesser.ConnectAsync("admin", "wrong"))["message"], StringComparison.Ordinal);
        }
        await using var sameAddress = await StompTestClient.ConnectTcpAsync(_host.StompPort());
        await using var otherAddress = await StompTestClient.ConnectTcpAsync(_host.StompPort(), Elsewhere);

        var refused = await sameAddress.ConnectAsync("admin", "admin");
        var connected = await otherAddress.ConnectAsync("admin", "admin");

        Assert.Equal("ERROR", refused.Command);
        Assert.Equal("too many failed logins, retry later (in 30 s)", refused["message"]);
        Assert.True(await sameAddress.WaitForCloseAsync());
        Assert.Equal("CONNECTED", connected.Command);
    }

    [Fact]
    public async Task ReplicationLogin_AfterWrongStompLoginsOfItsUser_RefusedAsTooManyFailures()
    {
        for (var i = 0; i < 5; i++)
        {
            await using var guesser = await StompTestClient.ConnectTcpAsync(_host.StompPort());
            await guesser.ConnectAsync("replicator", "wrong");
        }

        await using var slave = await TestHost.StartAsync(TestHost.FreePort(), [.. TestHost.ReplicationSettings, $"--Brokers:b1:MasterConnectorUri=tcp://127.0.0.1:{_host.StompPort()}"]);

        var log = await _host.WaitForLogAsync("replication login failed for user 'replicator': too many failed logins");
        Assert.Contains("replication login failed for user 'replicator': too many failed logins, retry later", log, StringComparison.Ordinal);
    }
}
