namespace BrokerConsole.BrowserTests.Infrastructure;

/// <summary>
/// Browser tests run one at a time: each starts a host with a broker pair and a browser context, and on a 2-core
/// machine several at once would starve the circuits and the replication link into timeouts. They share one
/// chromium (<see cref="ChromiumFixture"/>): launching it costs seconds on a busy machine, while a context per
/// test is as isolated as a fresh profile (cookies, storage, pages) and costs a few milliseconds.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BrowserCollection : ICollectionFixture<ChromiumFixture>
{
    public const string Name = "Browser";
}

/// <summary>The Playwright driver and one headless chromium for the collection, closed after its last test.</summary>
public sealed class ChromiumFixture : IAsyncLifetime
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public Task InitializeAsync() => BrowserAsync();

    /// <summary>The browser, launched again if an earlier test crashed it.</summary>
    public async Task<IBrowser> BrowserAsync()
    {
        await _gate.WaitAsync();
        try
        {
            if (_browser is { IsConnected: true } browser)
            {
                return browser;
            }
            await CloseAsync();
            (_playwright, _browser) = await Chromium.LaunchAsync();
            return _browser;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task DisposeAsync()
    {
        await CloseAsync();
        _gate.Dispose();
    }

    private async Task CloseAsync()
    {
        try
        {
            if (_browser is not null)
            {
                await _browser.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(15));
            }
        }
        catch (Exception e) when (e is PlaywrightException or TimeoutException)
        {
            // Already gone; the driver's disposal below ends what is left.
        }
        finally
        {
            _browser = null;
            _playwright?.Dispose();
            _playwright = null;
        }
    }
}
