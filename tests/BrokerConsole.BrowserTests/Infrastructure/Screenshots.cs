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
        // A page whose user picked a theme with the toggle does not follow the system: one picture, as it is.
        if (await FollowAsync(page, ColorScheme.Light))
        {
            await ShootAsync(page, name);
            if (await FollowAsync(page, ColorScheme.Dark))
            {
                await ShootAsync(page, name + "-dark");
            }
            await page.EmulateMediaAsync(new PageEmulateMediaOptions { ColorScheme = ColorScheme.Light });
        }
        else
        {
            await ShootAsync(page, name);
        }
    }

    /// <summary>
    /// Emulates <paramref name="scheme"/> and waits (up to 5 s) for the theme's media-query listener to repaint the
    /// page's background; false when it does not.
    /// </summary>
    private static async Task<bool> FollowAsync(IPage page, ColorScheme scheme)
    {
        await page.EmulateMediaAsync(new PageEmulateMediaOptions { ColorScheme = scheme });
        var wanted = scheme == ColorScheme.Dark;
        for (var tries = 0; tries < 50 && IsDark(await BackgroundAsync(page)) != wanted; tries++)
        {
            await Task.Delay(100);
        }
        return IsDark(await BackgroundAsync(page)) == wanted;
    }

    private static async Task ShootAsync(IPage page, string name)
    {
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
