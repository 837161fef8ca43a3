namespace BrokerConsole.BrowserTests.Infrastructure;

/// <summary>
/// Debian's chromium (<c>apt-get install chromium</c>; test.sh installs it), driven by the Playwright driver that the
/// Microsoft.Playwright package ships (its own node, offline). Playwright never downloads a browser here: nothing
/// calls its install command, and <c>PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD</c> is set for the driver we start.
/// </summary>
public static class Chromium
{
    /// <summary>Where Debian puts it; <c>CONSOLE_CHROMIUM</c> points elsewhere.</summary>
    public static string ExecutablePath { get; } =
        Environment.GetEnvironmentVariable("CONSOLE_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    /// <summary>
    /// <c>--no-sandbox</c>: the tests run as root, where chromium's sandbox refuses to start.
    /// <c>--disable-background-networking</c> and friends: no calls home on a closed network.
    /// <c>--disable-dev-shm-usage</c>: a small /dev/shm (containers) crashes tabs.
    /// </summary>
    public static IReadOnlyList<string> Arguments { get; } =
    [
        "--no-sandbox",
        "--disable-background-networking",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
    ];

    public static readonly TimeSpan LaunchTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Starts the Playwright driver and a headless chromium; the caller disposes both (browser first).</summary>
    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        if (!File.Exists(ExecutablePath))
        {
            throw new FileNotFoundException(
                $"{ExecutablePath} is missing: the browser tests drive Debian's chromium (./test.sh installs it: apt-get install -y chromium)");
        }
        // Read by the driver (a child process) at start: never fetch a browser of its own.
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        var playwright = await Microsoft.Playwright.Playwright.CreateAsync().WaitAsync(LaunchTimeout);
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = ExecutablePath,
                Headless = true,
                Args = Arguments,
                Timeout = (float)LaunchTimeout.TotalMilliseconds,
            });
            return (playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }
}
