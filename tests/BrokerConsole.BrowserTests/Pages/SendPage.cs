namespace BrokerConsole.BrowserTests.Pages;

/// <summary>Send a test message (<c>/brokers/{b}/send</c>, admin only). Fluent inputs keep the real input in a shadow root.</summary>
public sealed class SendPage(IPage page, string broker) : ConsolePage(page)
{
    public override string Path => $"brokers/{Uri.EscapeDataString(broker)}/send";

    public override string Heading => "Send a test message";

    public override string Title => "Send";

    public ILocator Destination => Page.Locator("#send-destination input");

    public ILocator Body => Page.Locator("#send-body textarea");

    public ILocator AddHeader => Page.Locator("#send-header-add");

    public ILocator HeaderName(int index) => Page.Locator($"#send-header-name-{index} input");

    public ILocator HeaderValue(int index) => Page.Locator($"#send-header-value-{index} input");

    public ILocator Submit => Page.Locator("#send-submit");

    public ILocator Result => Page.GetByTestId("send-result");

    public ILocator MessageIds => Page.GetByTestId("send-message-ids");

    public ILocator Error => Page.GetByTestId("send-error");
}
