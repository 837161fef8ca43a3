using BrokerConsole.BrowserTests.Infrastructure;

namespace BrokerConsole.BrowserTests;

[Collection(BrowserCollection.Name)]
public sealed class LoginTests(ChromiumFixture chromium)
{
    [Fact]
    public Task WrongPassword_ShowsError_RightOne_LandsWhereTheUserWasGoing_LogOutEndsIt() => ConsoleSession.RunAsync(chromium, async console =>
    {
        // Unauthenticated: the console sends the browser to /login, keeping where it was going.
        await console.Page.GotoAsync("events");
        var login = console.Login;
        await login.ExpectOpenAsync();
        await Assertions.Expect(console.Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/login\\?ReturnUrl=%2Fevents$"));
        await console.ScreenshotAsync("login");

        await login.LogInAsync("admin", "not-the-password");

        await Assertions.Expect(login.Error).ToHaveTextAsync("Unknown user, wrong password, or a user who may not view the console.");
        await login.ExpectOpenAsync();
        Assert.DoesNotContain(await console.Context.CookiesAsync(), c => c.Name == "BrokerConsole");

        await login.LogInAsync("admin", "admin");

        var events = console.Events;
        await events.ExpectOpenAsync();
        await Assertions.Expect(events.User).ToHaveTextAsync("admin");
        await events.ExpectEventAsync(ConsoleSession.Master, "BrokerStarted");

        await events.LogOut.ClickAsync();

        await login.ExpectOpenAsync();
        await console.Page.GotoAsync("");
        await login.ExpectOpenAsync();
    });
}
