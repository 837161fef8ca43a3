namespace BrokerConsole.BrowserTests.Pages;

/// <summary>The Overview (<c>/overview</c>): every pair and single broker as a card.</summary>
public sealed class OverviewPage(IPage page) : ConsolePage(page)
{
    public override string Path => "overview";

    public override string Heading => "Overview";
}
