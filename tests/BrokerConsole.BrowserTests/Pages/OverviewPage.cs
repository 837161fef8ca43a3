namespace BrokerConsole.BrowserTests.Pages;

/// <summary><c>/overview</c>: every pair and single broker of every host as cards, the alerts and the timeline.</summary>
public sealed class OverviewPage(IPage page) : ConsolePage(page)
{
    public override string Path => "overview";

    public override string Heading => "Overview";

    public ILocator Pairs => Page.GetByTestId("pair");

    /// <summary>The card that holds broker <paramref name="broker"/> of host <paramref name="host"/>.</summary>
    public ILocator PairOf(string host, string broker) => Pairs.Filter(new LocatorFilterOptions { Has = Member(host, broker) });

    public ILocator Member(string host, string broker) => Page.Locator($"[data-testid=pair-member][data-host='{host}'][data-broker='{broker}']");

    public ILocator Role(string host, string broker) => Member(host, broker).GetByTestId("member-role");

    public ILocator State(string host, string broker) => Member(host, broker).GetByTestId("member-state");

    /// <summary>Shown only while the member's host is not connected ("host unreachable, as last seen").</summary>
    public ILocator HostState(string host, string broker) => Member(host, broker).GetByTestId("member-host-state");

    public ILocator Action(string host, string broker, string action) => Member(host, broker).GetByTestId($"fleet-action-{action}");

    public ILocator Alerts => Page.GetByTestId("alert");

    public ILocator Alert(string kind, string host) => Page.Locator($"[data-testid=alert][data-kind='{kind}'][data-host='{host}']");

    public ILocator TimelineEvent(string host, string kind) => Page.Locator($"[data-testid=timeline-event][data-host='{host}'][data-kind='{kind}']");
}
