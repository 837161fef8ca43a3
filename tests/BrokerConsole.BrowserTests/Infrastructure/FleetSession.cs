using BrokerConsole.BrowserTests.Pages;

namespace BrokerConsole.BrowserTests.Infrastructure;

/// <summary>
/// A browser on the console of one host process among several (issue 12): the test starts the host processes
/// (<see cref="BrokerProcess"/>, real children that a test SIGKILLs), this opens a fresh browser context on the one
/// whose console it watches. <see cref="RunAsync"/> runs the test under a time limit; a failure's message carries the
/// page's text and the tail of every host's output. The processes are the test's own (it disposes them).
/// </summary>
public sealed class FleetSession : IAsyncDisposable
{
    private readonly IReadOnlyList<BrokerProcess> _hosts;

    private FleetSession(IBrowserContext context, IPage page, IReadOnlyList<BrokerProcess> hosts)
    {
        Context = context;
        Page = page;
        _hosts = hosts;
    }

    public IBrowserContext Context { get; }

    public IPage Page { get; }

    public OverviewPage Overview => new(Page);

    /// <summary>Opens a browser context on <paramref name="console"/>'s address, logs in as <paramref name="user"/> and runs <paramref name="test"/>.</summary>
    public static async Task RunAsync(ChromiumFixture chromium, BrokerProcess console, IReadOnlyList<BrokerProcess> hosts, string user,
        Func<FleetSession, Task> test, TimeSpan timeout)
    {
        Assertions.SetDefaultExpectTimeout((float)ConsoleSession.ActionTimeout.TotalMilliseconds);
        var browser = await chromium.BrowserAsync();
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = console.HttpBase!.ToString(),
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
            Locale = "en-US",
            TimezoneId = "UTC",
        });
        await using var session = new FleetSession(context, await context.NewPageAsync(), hosts);
        context.SetDefaultTimeout((float)ConsoleSession.ActionTimeout.TotalMilliseconds);
        context.SetDefaultNavigationTimeout((float)ConsoleSession.ActionTimeout.TotalMilliseconds);
        try
        {
            await session.LogInAsync(user);
            await test(session).WaitAsync(timeout);
        }
        catch (Exception e)
        {
            throw new BrowserTestException(e.Message + Environment.NewLine + await session.DescribeAsync(), e);
        }
    }

    /// <summary>Logs in through /login (the password is the user's name, as the tests configure) and opens the overview.</summary>
    private async Task LogInAsync(string user)
    {
        var login = new LoginPage(Page);
        await login.OpenAsync();
        await login.LogInAsync(user, user);
        await Assertions.Expect(Page).Not.ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/login"));
        await Overview.OpenAsync();
    }

    private async Task<string> DescribeAsync() =>
        $"{await ConsoleSession.DescribePageAsync(Page)}{Environment.NewLine}{Replicas.Describe([.. _hosts])}";

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Context.DisposeAsync().AsTask().WaitAsync(ConsoleSession.ActionTimeout);
        }
        catch (Exception e) when (e is PlaywrightException or TimeoutException)
        {
            // The browser went away; the fixture launches another for the next test.
        }
    }
}
