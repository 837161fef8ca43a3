using BrokerConsole.Components.Layout;
using Microsoft.AspNetCore.Components;

namespace BrokerConsole.Components.Tests;

public sealed class LayoutTests : ConsoleContext
{
    private static readonly string[] ViewerLinks = ["overview", "brokers", "destinations", "scheduled", "connections", "subscribers", "events", "hosts"];

    private IRenderedComponent<MainLayout> RenderLayout()
    {
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
        return Render<MainLayout>(p => p.Add(l => l.Body, (RenderFragment)(b => b.AddMarkupContent(0, "<h1>Body</h1>"))));
    }

    [Fact]
    public void Menu_Admin_EveryPageLinkedWithAnIcon()
    {
        var cut = RenderLayout();

        foreach (var page in (string[])[.. ViewerLinks, "send"])
        {
            var item = cut.Find($"nav.menu [data-testid=nav-{page}]");
            Assert.NotNull(item.QuerySelector("a.fluent-nav-link[href]"));
            Assert.NotNull(item.QuerySelector("svg.fluent-nav-icon"));
        }
        Assert.Equal("true", cut.Find("nav.menu").GetAttribute("data-interactive"));
    }

    [Fact]
    public void Menu_Viewer_NoSend()
    {
        SignIn("viewer", "viewer");

        var cut = RenderLayout();

        Assert.Empty(cut.FindAll("[data-testid=nav-send]"));
        Assert.Equal(ViewerLinks.Length, cut.FindAll("nav.menu a.fluent-nav-link").Count);
    }

    [Fact]
    public void SignedOut_NoMenuLinksNorLogOut()
    {
        SignOut();

        var cut = RenderLayout();

        Assert.Empty(cut.FindAll("nav.menu a"));
        Assert.Empty(cut.FindAll("[data-testid=logout]"));
        Assert.Single(cut.FindAll("nav.menu[data-interactive]"));
    }

    [Fact]
    public void Header_SignedIn_NameAndLogOutButtonPostingToLogout()
    {
        var cut = RenderLayout();

        Assert.Equal("admin", cut.Find("header .user").TextContent);
        var form = cut.Find("header form");
        Assert.Equal("post", form.GetAttribute("method"));
        Assert.Equal("logout", form.GetAttribute("action"));
        var button = form.QuerySelector("fluent-button[data-testid=logout]")!;
        Assert.Equal("submit", button.GetAttribute("type"));
        Assert.Equal("Log out", button.TextContent.Trim());
    }

    [Fact]
    public void ThemeToggle_Clicked_CyclesSystemLightDarkAndTellsTheTheme()
    {
        var cut = RenderLayout();
        var theme = () => cut.Find("fluent-design-theme");
        Assert.Equal("system", cut.Find("[data-testid=theme-toggle]").GetAttribute("data-mode"));
        // Fluent keeps the user's choice in localStorage under this name and reads it back on the next visit.
        Assert.Equal("brokerconsole-theme", theme().GetAttribute("storage-name"));

        cut.Find("[data-testid=theme-toggle]").Click();
        Assert.Equal("light", cut.Find("[data-testid=theme-toggle]").GetAttribute("data-mode"));
        Assert.Equal("light", theme().GetAttribute("mode"));

        cut.Find("[data-testid=theme-toggle]").Click();
        Assert.Equal("dark", theme().GetAttribute("mode"));
        Assert.Contains("switch to system", cut.Find("[data-testid=theme-toggle]").GetAttribute("aria-label"), StringComparison.Ordinal);

        cut.Find("[data-testid=theme-toggle]").Click();
        Assert.Equal("system", cut.Find("[data-testid=theme-toggle]").GetAttribute("data-mode"));
    }
}
