namespace BrokerConsole.BrowserTests.Pages;

/// <summary>One queue (<c>/brokers/{b}/queues/{q}</c>): live depth, the browsed messages, a message's detail, admin actions.</summary>
public sealed class QueueDetailPage(IPage page, string broker, string queue) : ConsolePage(page)
{
    public override string Path => $"brokers/{Uri.EscapeDataString(broker)}/queues/{Uri.EscapeDataString(queue)}";

    public override string Heading => $"Queue {queue}";

    public ILocator Depth => Page.GetByTestId("queue-depth");

    public ILocator MessageCount => Page.GetByTestId("message-count");

    /// <summary>The buttons with the listed messages' ids (one per row); clicking one opens its message.</summary>
    public ILocator Messages => Page.GetByTestId("message-id");

    public ILocator MessageId(string id) => Page.Locator($"[data-testid=message-id][data-message-id=\"{id}\"]");

    public ILocator Detail => Page.GetByTestId("message-detail");

    public ILocator DetailId => Page.GetByTestId("message-detail-id");

    public ILocator Headers => Page.GetByTestId("message-headers");

    public ILocator Body => Page.GetByTestId("message-body");

    public ILocator Purge => Page.Locator("#queue-purge");
}
