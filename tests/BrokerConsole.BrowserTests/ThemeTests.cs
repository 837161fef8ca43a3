using BrokerConsole.BrowserTests.Infrastructure;
using static BrokerConsole.BrowserTests.Infrastructure.ConsoleSession;

namespace BrokerConsole.BrowserTests;

/// <summary>The header's theme button: the user's choice is applied at once and kept by the browser across visits.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ThemeTests(ChromiumFixture chromium)
{
    [Fact]
    public Task ThemeToggle_Dark_AppliedAndKeptAfterReload() => RunAsync(chromium, async console =>
    {
        var brokers = await console.LogInAsync();
        var toggle = console.Page.GetByTestId("theme-toggle");
        await Assertions.Expect(toggle).ToHaveAttributeAsync("data-mode", "system");
        var light = await BackgroundAsync(console.Page);

        await toggle.ClickAsync();
        await Assertions.Expect(toggle).ToHaveAttributeAsync("data-mode", "light");
        await toggle.ClickAsync();
        await Assertions.Expect(toggle).ToHaveAttributeAsync("data-mode", "dark");
        await Assertions.Expect(console.Page.Locator("body")).Not.ToHaveCSSAsync("background-color", light);
        await console.ScreenshotAsync("brokers-dark");

        await console.Page.ReloadAsync();
        await brokers.ExpectOpenAsync();
        await Assertions.Expect(toggle).ToHaveAttributeAsync("data-mode", "dark");
        await Assertions.Expect(console.Page.Locator("body")).Not.ToHaveCSSAsync("background-color", light);
    });

    private static Task<string> BackgroundAsync(IPage page) =>
        page.EvaluateAsync<string>("() => getComputedStyle(document.body).backgroundColor");
}
