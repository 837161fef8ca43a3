namespace BrokerConsole.BrowserTests.Infrastructure;

/// <summary>
/// Screenshots of the console for the README: set <c>CONSOLE_SCREENSHOTS=docs/screenshots</c> (relative to the
/// repository, or absolute) and the tests that reach a main page save it there as PNG. Unset: nothing is written.
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
        await page.ScreenshotAsync(new PageScreenshotOptions
        {
            Path = Path.Combine(Folder, name + ".png"),
            FullPage = true,
            Animations = ScreenshotAnimations.Disabled,
        });
    }

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
