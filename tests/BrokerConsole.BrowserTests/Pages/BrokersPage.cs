namespace BrokerConsole.BrowserTests.Pages;

/// <summary>The Brokers page (<c>/brokers</c>): the live grid of every broker in the host.</summary>
public sealed class BrokersPage(IPage page) : ConsolePage(page)
{
    public override string Path => "brokers";

    public override string Heading => "Brokers";

    public DataGrid Grid => new(Page.Locator("table.brokers"));

    /// <summary>The row of <paramref name="broker"/> (its name is the first cell).</summary>
    public ILocator Row(string broker) => Grid.Rows.Filter(new LocatorFilterOptions
    {
        Has = Page.GetByRole(AriaRole.Gridcell, new PageGetByRoleOptions { Name = broker, Exact = true }),
    });

    public async Task<ILocator> CellAsync(string broker, string column) => await Grid.CellAsync(Row(broker), column);

    /// <summary>Waits (web-first, live) until the grid shows <paramref name="broker"/> with this role and state.</summary>
    public async Task ExpectBrokerAsync(string broker, string role, string state, TimeSpan? timeout = null)
    {
        var options = new LocatorAssertionsToHaveTextOptions { Timeout = timeout is { } t ? (float)t.TotalMilliseconds : null };
        await Assertions.Expect(await CellAsync(broker, "Role")).ToHaveTextAsync(role, options);
        await Assertions.Expect(await CellAsync(broker, "State")).ToHaveTextAsync(state, options);
    }

    /// <summary>An operator action's button in a broker's row (<c>stop</c>, <c>start</c>, <c>promote</c>, <c>switchover</c>).</summary>
    public ILocator ActionButton(string broker, string action) =>
        Page.Locator($"[data-testid=action-{action.ToLowerInvariant()}][data-broker=\"{broker}\"]");

    /// <summary>
    /// Clicks an action's button, waits for its confirmation (which must say <paramref name="saying"/>) and confirms it;
    /// returns once the dialog closed.
    /// </summary>
    public async Task ActAsync(string broker, string action, string saying)
    {
        await ActionButton(broker, action).ClickAsync();
        await Assertions.Expect(ConfirmationText).ToContainTextAsync(saying);
        await ConfirmButton.ClickAsync();
        await Assertions.Expect(Confirmation).ToHaveCountAsync(0);
    }
}
