namespace BrokerConsole.BrowserTests.Pages;

/// <summary><c>/login</c>: a static form (it sets the cookie), user and password, an alert on failure.</summary>
public sealed class LoginPage(IPage page) : ConsolePage(page)
{
    public override string Path => "login";

    public override string Heading => "Log in";

    public override bool Interactive => false;

    public ILocator UserName => Page.GetByLabel("User");

    public ILocator Password => Page.GetByLabel("Password");

    public ILocator Submit => Page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Log in" });

    public ILocator Error => Page.GetByRole(AriaRole.Alert);

    public async Task LogInAsync(string user, string password)
    {
        await UserName.FillAsync(user);
        await Password.FillAsync(password);
        await Submit.ClickAsync();
    }
}
