using BrokerConsole.Components.Pages;

namespace BrokerConsole.Components.Tests;

public sealed class ConnectionsPageTests : ConsoleContext
{
    private IRenderedComponent<Connections> RenderPage() => Render<Connections>(p => p.Add(c => c.Broker, "b1"));

    private FakeClientConnection Connect(string id, int inFlight = 0)
    {
        var connection = new FakeClientConnection(id, inFlight: inFlight);
        Broker.RegisterConnection(connection);
        return connection;
    }

    [Fact]
    public void Connections_ListsEachConnection_WithItsInFlight()
    {
        Connect("c-1", inFlight: 4);
        Connect("c-2");

        var cut = RenderPage();

        Assert.Equal(["c-1", "c-2"], cut.FindAll("[data-testid=connection-id]").Select(c => c.GetAttribute("data-connection-id")));
        Assert.Equal("4", cut.Find("[data-testid=connection-inflight][data-connection-id=c-1]").TextContent);
        Assert.Contains("2 connections", cut.Find("[data-testid=connections-count]").TextContent, StringComparison.Ordinal);
        Assert.Contains("client-c-1", cut.Find("[data-testid=connections-grid]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void Connections_OpenPage_ShowsAConnectionThatCameLater_WithoutRefresh()
    {
        Connect("c-1");
        var cut = RenderPage();

        var later = Broker.RegisterConnection(new FakeClientConnection("c-2"));

        cut.WaitForAssertion(() => Assert.Equal(["c-1", "c-2"], cut.FindAll("[data-testid=connection-id]").Select(c => c.GetAttribute("data-connection-id"))),
            TimeSpan.FromSeconds(10));
        later.Dispose();
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=connection-id]")), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void Connections_CloseDismissed_Stays_CloseConfirmed_ClientToldAndRowGone()
    {
        var closed = Connect("c-1", inFlight: 2);
        Connect("c-2");
        var cut = RenderPage();

        cut.Find("[data-testid=connection-close][data-connection-id=c-1]").Click();
        Assert.Contains("2 unacknowledged messages go back", cut.WaitForElement("[data-testid=confirm-dialog]").TextContent, StringComparison.Ordinal);
        cut.WaitForElement("#confirm-cancel").Click();
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=confirm-dialog]")));
        Assert.Null(closed.ClosedWith);

        cut.Find("[data-testid=connection-close][data-connection-id=c-1]").Click();
        cut.WaitForElement("#confirm-ok").Click();

        cut.WaitForAssertion(() => Assert.Contains("Closed connection c-1", cut.Find("[data-testid=operation-status]").TextContent, StringComparison.Ordinal));
        Assert.Equal("connection closed by an operator (admin)", closed.ClosedWith);
        Assert.Equal(["c-2"], cut.FindAll("[data-testid=connection-id]").Select(c => c.GetAttribute("data-connection-id")));
    }

    [Fact]
    public void Connections_Viewer_SeesNoCloseButton()
    {
        Connect("c-1");
        SignIn("viewer", "viewer");

        var cut = RenderPage();

        Assert.Single(cut.FindAll("[data-testid=connection-id]"));
        Assert.Empty(cut.FindAll("[data-testid=connection-close]"));
    }

    [Fact]
    public void Connections_UnknownBroker_SaysSo()
    {
        var cut = Render<Connections>(p => p.Add(c => c.Broker, "nope"));

        Assert.Contains("no broker named 'nope'", cut.Find("[data-testid=operation-error]").TextContent, StringComparison.Ordinal);
    }
}
