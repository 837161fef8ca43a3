namespace BrokerConsole.BrowserTests.Pages;

/// <summary>The Events page (<c>/events</c>): the live timeline, newest first.</summary>
public sealed class EventsPage(IPage page) : ConsolePage(page)
{
    public override string Path => "events";

    public override string Heading => "Events";

    public DataGrid Grid => new(Page.Locator("table.events"));

    public ILocator BrokerFilter => Page.Locator("#events-broker");

    public ILocator Kind => Page.Locator("#events-kind");

    /// <summary>The search box's real input, inside the Fluent control's shadow root.</summary>
    public ILocator Search => Page.Locator("#events-search input");

    /// <summary>Picks <paramref name="option"/> in a Fluent select (<see cref="BrokerFilter"/>, <see cref="Kind"/>) as a user does: open it, click the option.</summary>
    public async Task ChooseAsync(ILocator select, string option)
    {
        await select.ClickAsync();
        await select.GetByRole(AriaRole.Option, new LocatorGetByRoleOptions { Name = option, Exact = true }).ClickAsync();
        await Assertions.Expect(select).ToHaveAttributeAsync("current-value", option);
    }

    /// <summary>"N of M events": what the filters let through of what the page holds.</summary>
    public ILocator Count => Page.GetByTestId("events-count");

    /// <summary>Rows of <paramref name="broker"/> of this kind (a <c>BrokerEventKind</c> name) whose text contains <paramref name="detail"/>.</summary>
    public ILocator Event(string broker, string kind, string? detail = null)
    {
        var rows = Grid.Rows
            .Filter(new LocatorFilterOptions { Has = Page.GetByRole(AriaRole.Gridcell, new PageGetByRoleOptions { Name = broker, Exact = true }) })
            .Filter(new LocatorFilterOptions { Has = Page.GetByRole(AriaRole.Gridcell, new PageGetByRoleOptions { Name = kind, Exact = true }) });
        return detail is null ? rows : rows.Filter(new LocatorFilterOptions { HasText = detail });
    }

    /// <summary>Waits (web-first, live) until such an event is shown.</summary>
    public Task ExpectEventAsync(string broker, string kind, string? detail = null) =>
        Assertions.Expect(Event(broker, kind, detail).First).ToBeVisibleAsync();
}
