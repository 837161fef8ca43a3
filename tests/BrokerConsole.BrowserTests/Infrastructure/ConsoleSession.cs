using System.Diagnostics;
using System.Net.Http.Json;
using BrokerConsole.BrowserTests.Pages;

namespace BrokerConsole.BrowserTests.Infrastructure;

/// <summary>
/// What one browser test owns: the real host (<see cref="TestHost.StartPairInOneHostAsync"/>: master <c>b1</c>, slave <c>b2</c>,
/// users admin/admin and viewer/viewer, free ports, a temp folder) and a browser context of its own (in the
/// collection's chromium, <see cref="ChromiumFixture"/>) with one page. <see cref="RunAsync"/> starts them, runs the
/// test under a time limit and disposes everything, also when the test fails; a failure's message carries the page's
/// URL and text and the tail of the host's log.
/// </summary>
public sealed class ConsoleSession : IAsyncDisposable
{
    /// <summary>Every Playwright action and web-first assertion (Expect) gives up after this.</summary>
    public static readonly TimeSpan ActionTimeout = TimeSpan.FromSeconds(15);

    /// <summary>A whole test, start and clean-up excluded.</summary>
    public static readonly TimeSpan DefaultTestTimeout = TimeSpan.FromSeconds(60);

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Slack for a machine whose cores are busy (2 cores, shared): with the defaults (1 s, 2 s) a starved process
    /// misses heart-beats and the pair splits or goes unprotected on its own. Failovers in these tests come from
    /// a stopped master closing the link, which the slave sees at once, whatever these say. Set on both brokers: after
    /// a switchover each has the other role, and a master heart-beats at a quarter of its own MasterTimeout, so a
    /// slave with a shorter one than its master's gives the link up (and takes over) within a second.
    /// </summary>
    private static string[] PairSettings(string master, string slave) =>
    [
        $"--Brokers:{master}:MasterTimeout=00:00:15",
        $"--Brokers:{slave}:MasterTimeout=00:00:15",
        $"--Brokers:{master}:ReplicationAckTimeout=00:00:15",
        $"--Brokers:{slave}:ReplicationAckTimeout=00:00:15",
    ];

    private ConsoleSession(TestHost host, IBrowserContext context, IPage page)
    {
        Host = host;
        Context = context;
        Page = page;
    }

    public TestHost Host { get; }

    public IBrowserContext Context { get; }

    public IPage Page { get; }

    public const string Master = "b1";

    public const string Slave = "b2";

    public LoginPage Login => new(Page);

    public BrokersPage Brokers => new(Page);

    public EventsPage Events => new(Page);

    /// <summary>Starts a session, runs <paramref name="test"/> within <paramref name="timeout"/> and disposes the session.</summary>
    /// <param name="settings">Extra host settings, such as <c>--Brokers:b2:ShutdownOnMasterFailure=true</c>.</param>
    public static Task RunAsync(ChromiumFixture chromium, Func<ConsoleSession, Task> test, TimeSpan? timeout = null, params string[] settings) =>
        RunAsync(chromium, (Master, Slave), test, timeout, settings);

    /// <summary>As the other <see cref="RunAsync(ChromiumFixture, Func{ConsoleSession, Task}, TimeSpan?, string[])"/>, with the pair's brokers named (the default configuration's amq1M and amq1S, say).</summary>
    public static async Task RunAsync(ChromiumFixture chromium, (string Master, string Slave) pair, Func<ConsoleSession, Task> test, TimeSpan? timeout = null, params string[] settings)
    {
        Assertions.SetDefaultExpectTimeout((float)ActionTimeout.TotalMilliseconds);
        await using var session = await StartAsync(chromium, pair, settings);
        try
        {
            await test(session).WaitAsync(timeout ?? DefaultTestTimeout);
        }
        catch (Exception e)
        {
            throw new BrowserTestException(e.Message + Environment.NewLine + await session.DescribeAsync(), e);
        }
    }

    /// <summary>Starts the host and opens a fresh browser context (its own cookies and storage) with one page.</summary>
    public static Task<ConsoleSession> StartAsync(ChromiumFixture chromium, params string[] settings) => StartAsync(chromium, (Master, Slave), settings);

    private static async Task<ConsoleSession> StartAsync(ChromiumFixture chromium, (string Master, string Slave) pair, string[] settings)
    {
        var browser = await chromium.BrowserAsync();
        var host = await TestHost.StartPairInOneHostAsync(pair.Master, pair.Slave, [.. PairSettings(pair.Master, pair.Slave), .. settings]).WaitAsync(StartTimeout);
        IBrowserContext? context = null;
        try
        {
            context = await browser.NewContextAsync(new BrowserNewContextOptions
            {
                BaseURL = host.HttpUri.ToString(),
                ViewportSize = new ViewportSize { Width = 1280, Height = 720 },
                Locale = "en-US",
                TimezoneId = "UTC",
            });
            context.SetDefaultTimeout((float)ActionTimeout.TotalMilliseconds);
            context.SetDefaultNavigationTimeout((float)ActionTimeout.TotalMilliseconds);
            var page = await context.NewPageAsync();
            return new ConsoleSession(host, context, page);
        }
        catch
        {
            if (context is not null)
            {
                await context.DisposeAsync();
            }
            await host.DisposeAsync();
            throw;
        }
    }

    /// <summary>Logs in through /login, lands on the home page (the overview) and opens the Brokers page.</summary>
    public async Task<BrokersPage> LogInAsync(string user = "admin", string? password = null)
    {
        var login = Login;
        await login.OpenAsync();
        await login.LogInAsync(user, password ?? user);
        // The home page is the overview; most tests start from the Brokers page.
        await new OverviewPage(Page).ExpectOpenAsync();
        var brokers = Brokers;
        await brokers.OpenAsync();
        return brokers;
    }

    /// <summary>HTTP Basic client for the host's API (admin by default).</summary>
    public HttpClient Api(string user = "admin", string? password = null) => Host.CreateHttpClient(user, password);

    /// <summary>Waits (API, no browser) until a broker's state is <paramref name="state"/>.</summary>
    public async Task WaitForStateAsync(string broker, string state, TimeSpan? timeout = null)
    {
        using var http = Api();
        var wait = Stopwatch.StartNew();
        var limit = timeout ?? ActionTimeout;
        string? last = null;
        while (wait.Elapsed < limit)
        {
            var view = await http.GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/brokers/{broker}");
            last = view.GetProperty("state").GetString();
            if (last == state)
            {
                return;
            }
            await Task.Delay(50);
        }
        throw new TimeoutException($"{broker} not '{state}' within {limit.TotalSeconds} s (last: '{last}')");
    }

    /// <summary>An outside STOMP client (plain TCP, STOMP 1.2 frames) connected to <paramref name="broker"/> as admin.</summary>
    public async Task<StompTestClient> ConnectStompAsync(string broker = Master)
    {
        var client = await StompTestClient.ConnectTcpAsync(Host.StompPort(broker));
        try
        {
            var connected = await client.ConnectAsync("admin");
            if (connected.Command != "CONNECTED")
            {
                throw new InvalidOperationException($"STOMP CONNECT to {broker} answered {connected.Command}");
            }
            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// An outside producer: persistent SENDs of <paramref name="count"/> numbered bodies to <paramref name="destination"/>
    /// (<c>/queue/NAME</c>) over plain TCP, each awaited by its RECEIPT; returns the bodies.
    /// </summary>
    public async Task<IReadOnlyList<string>> SendStompAsync(string destination, int count = 1, string broker = Master, string body = "message")
    {
        await using var client = await ConnectStompAsync(broker);
        var bodies = new List<string>(count);
        for (var i = 1; i <= count; i++)
        {
            var text = count == 1 ? body : $"{body}-{i}";
            await client.SendTextAsync(destination, text, ("persistent", "true"), ("receipt", $"r{i}"));
            var reply = await client.ReceiveAsync(ActionTimeout);
            if (reply.Command != "RECEIPT")
            {
                throw new InvalidOperationException($"SEND to {destination} answered {reply.Command} {reply["message"]}");
            }
            bodies.Add(text);
        }
        return bodies;
    }

    /// <summary>Saves the page as <c>{name}.png</c> when <c>CONSOLE_SCREENSHOTS</c> names a folder; does nothing otherwise.</summary>
    public Task ScreenshotAsync(string name) => Screenshots.SaveAsync(Page, name);

    /// <summary>For failure messages: where the page is, what it shows, what the host logged last.</summary>
    public async Task<string> DescribeAsync()
    {
        var page = await DescribePageAsync(Page);
        var log = Host.ReadLog();
        // The broker's own lines: ASP.NET Core's request logging drowns them otherwise.
        var tail = string.Join(Environment.NewLine, log.Split('\n').Where(l => !l.Contains(" Microsoft.AspNetCore.", StringComparison.Ordinal)).TakeLast(40));
        return $"{page}{Environment.NewLine}--- host log (tail) ---{Environment.NewLine}{tail}";
    }

    /// <summary>For failure messages: the page's address and the text it shows.</summary>
    internal static async Task<string> DescribePageAsync(IPage page)
    {
        string text;
        try
        {
            text = await page.InnerTextAsync("body", new PageInnerTextOptions { Timeout = 2000 });
        }
        catch (Exception e) when (e is PlaywrightException or TimeoutException)
        {
            text = $"(unreadable: {e.Message})";
        }
        return $"--- page {page.Url} ---{Environment.NewLine}{text}";
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            // Closes its pages first, so their circuits end before the host stops.
            await Context.DisposeAsync().AsTask().WaitAsync(ActionTimeout);
        }
        catch (Exception e) when (e is PlaywrightException or TimeoutException)
        {
            // The browser went away; the fixture launches another for the next test.
        }
        finally
        {
            await Host.DisposeAsync();
        }
    }
}

/// <summary>A browser test's failure, with what the page showed and the host logged.</summary>
public sealed class BrowserTestException(string message, Exception inner) : Exception(message, inner);
