namespace BrokerConsole.BrowserTests.Pages;

/// <summary>Queues and topics of one broker (<c>/brokers/{b}/destinations</c>): the live, searchable, paged grid.</summary>
public sealed class QueuesPage(IPage page, string broker) : ConsolePage(page)
{
    public override string Path => $"brokers/{Uri.EscapeDataString(broker)}/destinations";

    public override string Heading => "Queues and topics";

    public ILocator Search => Page.Locator("#destination-search input");

    /// <summary>The names of the listed queues and topics, one per row.</summary>
    public ILocator Rows => Page.GetByTestId("destination-name");

    /// <summary>The Pending cell of a queue or topic (by its name, without <c>/queue/</c>).</summary>
    public ILocator Pending(string name) => Page.Locator($"[data-testid=pending][data-destination=\"{name}\"]");

    /// <summary>A queue's name, a link to its detail page.</summary>
    public ILocator QueueLink(string queue) => Page.Locator($"a[data-testid=destination-name][data-destination=\"{queue}\"]");
}
