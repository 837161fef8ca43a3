namespace BrokerConsole.BrowserTests.Infrastructure;

/// <summary>
/// Screenshots of the console for the README: set <c>CONSOLE_SCREENSHOTS=docs/screenshots</c> (relative to the
/// repository, or absolute) and the tests that reach a main page save it there as PNG, in the light theme as
/// <c>{name}.png</c> and in the dark one as <c>{name}-dark.png</c> (the console follows the system's theme, which the
/// browser emulates here). Unset: nothing is written.
/// </summary>
public static class Screenshots
{
    public static string? Folder { get; } = Resolve(Environment.GetEnvironmentVariable("CONSOLE_SCREENSHOTS"));

    public static async Task SaveAsync(IPage page, string name)
    {
        if (Folder is null)
        {
            return;
        }
        Directory.CreateDirectory(Folder);
        await SaveInAsync(page, ColorScheme.Light, name);
        await SaveInAsync(page, ColorScheme.Dark, name + "-dark");
        await page.EmulateMediaAsync(new PageEmulateMediaOptions { ColorScheme = ColorScheme.Light });
    }

    private static async Task SaveInAsync(IPage page, ColorScheme scheme, string name)
    {
        var before = await BackgroundAsync(page);
        await page.EmulateMediaAsync(new PageEmulateMediaOptions { ColorScheme = scheme });
        // The theme follows the system through a media-query listener: wait until the page's background changed.
        var wanted = scheme == ColorScheme.Dark;
        for (var tries = 0; tries < 50 && IsDark(await BackgroundAsync(page)) != wanted; tries++)
        {
            await Task.Delay(100);
        }
        if (IsDark(await BackgroundAsync(page)) != wanted)
        {
            throw new InvalidOperationException($"the console did not follow the {scheme} scheme (background {before} stayed)");
        }
        await page.ScreenshotAsync(new PageScreenshotOptions
        {
            Path = Path.Combine(Folder!, name + ".png"),
            FullPage = true,
            Animations = ScreenshotAnimations.Disabled,
        });
    }

    /// <summary>The body's computed background as <c>r,g,b</c> (what the theme paints behind everything).</summary>
    private static Task<string> BackgroundAsync(IPage page) => page.EvaluateAsync<string>(
        "() => { const c = getComputedStyle(document.body).backgroundColor.match(/\\d+/g) || ['255','255','255']; return c.slice(0, 3).join(','); }");

    private static bool IsDark(string rgb) => rgb.Split(',').Select(int.Parse).Sum() < 3 * 128;

    private static string? Resolve(string? folder)
    {
        if (string.IsNullOrWhiteSpace(folder))
        {
            return null;
        }
        if (Path.IsPathRooted(folder))
        {
            return folder;
        }
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "BrokerConsole.sln")))
            {
                return Path.Combine(directory.FullName, folder);
            }
        }
        return Path.GetFullPath(folder);
    }
}
