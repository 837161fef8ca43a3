namespace BrokerConsole.BrowserTests.Pages;

/// <summary>
/// A page of the console behind the layout (header with the user and Log out, the menu on the left). A new page
/// object is a path, a heading and the locators of its own controls; see <see cref="BrokersPage"/>.
/// </summary>
public abstract class ConsolePage(IPage page)
{
    public IPage Page { get; } = page;

    /// <summary>Relative to the host's address ("" for the Brokers page, "events", "queues/b1"...).</summary>
    public abstract string Path { get; }

    /// <summary>The page's h1.</summary>
    public abstract string Heading { get; }

    /// <summary>The document's title (the h1 unless a page says otherwise).</summary>
    public virtual string Title => Heading;

    public ILocator H1 => Page.GetByRole(AriaRole.Heading, new PageGetByRoleOptions { Level = 1 });

    /// <summary>The user name the header shows.</summary>
    public ILocator User => Page.Locator("header .user, .user").First;

    public ILocator LogOut => Page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Log out" });

    public ILocator MenuLink(string name) => Page.GetByRole(AriaRole.Navigation).GetByRole(AriaRole.Link, new LocatorGetByRoleOptions { Name = name, Exact = true });

    /// <summary>
    /// Buttons that change something (operator actions, send, purge, move, delete...). A viewer must see none;
    /// extend the list when pages gain actions with other names.
    /// </summary>
    public ILocator AdminActions => Page.GetByRole(AriaRole.Button, new PageGetByRoleOptions
    {
        NameRegex = new System.Text.RegularExpressions.Regex(
            "^(stop|start|promote|switchover|send|purge|delete|move|copy|retry)\\b",
            System.Text.RegularExpressions.RegexOptions.IgnoreCase),
    });

    /// <summary>Loads the page by its address (a full load: the prerendered page, then the live circuit).</summary>
    public async Task OpenAsync()
    {
        await Page.GotoAsync(Path);
        await ExpectOpenAsync();
    }

    /// <summary>Goes there through the menu, as a user would (Blazor's enhanced navigation, no full reload).</summary>
    public async Task OpenFromMenuAsync(string menuText)
    {
        await MenuLink(menuText).ClickAsync();
        await ExpectOpenAsync();
        // FocusOnNavigate focuses the h1 (for screen readers), which must not draw a focus ring.
        await Assertions.Expect(H1).ToBeFocusedAsync();
        await Assertions.Expect(H1).ToHaveCSSAsync("outline-style", "none");
    }

    /// <summary>Whether the page runs over the circuit (all but the static login form).</summary>
    public virtual bool Interactive => true;

    /// <summary>
    /// The page is shown and, when <see cref="Interactive"/>, live: the prerendered page is replaced by the circuit's
    /// first render, which would reset an input filled before it.
    /// </summary>
    public async Task ExpectOpenAsync()
    {
        await Assertions.Expect(H1).ToHaveTextAsync(Heading);
        await Assertions.Expect(Page).ToHaveTitleAsync(Title);
        if (Interactive)
        {
            await Assertions.Expect(Page.Locator("nav.menu[data-interactive=true]")).ToHaveCountAsync(1);
        }
    }

    /// <summary>
    /// Marks the loaded document; <see cref="ExpectNotReloadedAsync"/> then proves that what changed since came live
    /// over the circuit, not through a reload or a navigation that would have shown it anyway.
    /// </summary>
    public Task MarkDocumentAsync() => Page.EvaluateAsync("() => { window.__consoleTestMark = 'kept'; }");

    public async Task ExpectNotReloadedAsync() =>
        Assert.Equal("kept", await Page.EvaluateAsync<string?>("() => window.__consoleTestMark ?? null"));

    /// <summary>The confirmation dialog (<c>ConfirmDialog</c>) that every action that changes something opens first.</summary>
    public ILocator Confirmation => Page.GetByTestId("confirm-dialog");

    /// <summary>What the confirmation says will happen.</summary>
    public ILocator ConfirmationText => Page.GetByTestId("confirm-text");

    public ILocator ConfirmButton => Page.Locator("#confirm-ok");

    public ILocator CancelButton => Page.Locator("#confirm-cancel");

    /// <summary>An action's outcome (<c>operation-status</c>) or refusal (<c>operation-error</c>).</summary>
    public ILocator OperationStatus => Page.GetByTestId("operation-status");

    public ILocator OperationError => Page.GetByTestId("operation-error");
}
