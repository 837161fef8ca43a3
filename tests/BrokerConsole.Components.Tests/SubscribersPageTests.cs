using Broker.Core.Consumers;
using Broker.Core.Messages;
using BrokerConsole.Components.Pages;

namespace BrokerConsole.Components.Tests;

public sealed class SubscribersPageTests : ConsoleContext
{
    private IRenderedComponent<Subscribers> RenderPage() => Render<Subscribers>(p => p.Add(s => s.Broker, "b1"));

    /// <summary>A durable subscription on <c>/topic/prices</c>; its subscriber stays online only when <paramref name="active"/>.</summary>
    private void Durable(string clientId, string name, bool active)
    {
        var consumer = Broker.Subscribe(DestinationName.Topic("prices"), new DiscardingSink(),
            new SubscriptionOptions { ClientId = clientId, DurableName = name, Owner = clientId });
        if (!active)
        {
            consumer.Close();
        }
    }

    [Fact]
    public void Subscribers_ListsLiveSubscriptionsAndDurableOnesWithTheirState()
    {
        Broker.RegisterConnection(new FakeClientConnection("c-1", subscriptions:
            [FakeClientConnection.Subscription("c-1", "orders", "/queue/orders", inFlight: 2, selector: "region = 'EU'")]));
        Durable("app-1", "online", active: true);
        Durable("app-2", "offline", active: false);

        var cut = RenderPage();

        Assert.Equal("/queue/orders", cut.Find("[data-testid=live-destination][data-subscription-id=orders]").TextContent);
        Assert.Equal("2", cut.Find("[data-testid=live-inflight][data-subscription-id=orders]").TextContent);
        Assert.Contains("region = 'EU'", cut.Find("[data-testid=live-grid]").TextContent, StringComparison.Ordinal);
        Assert.Equal("active", cut.Find("[data-testid=durable-state][data-durable='app-1:online']").TextContent);
        Assert.Equal("inactive", cut.Find("[data-testid=durable-state][data-durable='app-2:offline']").TextContent);
        Assert.Equal(["app-2:offline"], cut.FindAll("[data-testid=durable-delete]").Select(b => b.GetAttribute("data-durable")));
        Assert.Contains("(2)", cut.Find("[data-testid=durable-count]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void Subscribers_DeleteInactiveDismissed_Stays_Confirmed_Gone()
    {
        Durable("app-1", "online", active: true);
        Durable("app-2", "offline", active: false);
        var cut = RenderPage();

        cut.Find("[data-testid=durable-delete][data-durable='app-2:offline']").Click();
        Assert.Contains("/topic/prices stops collecting", cut.WaitForElement("[data-testid=confirm-dialog]").TextContent, StringComparison.Ordinal);
        cut.WaitForElement("#confirm-cancel").Click();
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=confirm-dialog]")));
        Assert.Equal(2, Broker.GetDurableSubscriptions().Count);

        cut.Find("[data-testid=durable-delete][data-durable='app-2:offline']").Click();
        cut.WaitForElement("#confirm-ok").Click();

        cut.WaitForAssertion(() => Assert.Contains("Deleted durable subscription app-2:offline", cut.Find("[data-testid=operation-status]").TextContent, StringComparison.Ordinal));
        Assert.Equal(["app-1:online"], cut.FindAll("[data-testid=durable-name]").Select(n => n.GetAttribute("data-durable")));
        Assert.Equal("online", Assert.Single(Broker.GetDurableSubscriptions()).Name);
    }

    [Fact]
    public void Subscribers_Viewer_SeesNoDeleteButton()
    {
        Durable("app-2", "offline", active: false);
        SignIn("viewer", "viewer");

        var cut = RenderPage();

        Assert.Single(cut.FindAll("[data-testid=durable-name]"));
        Assert.Empty(cut.FindAll("[data-testid=durable-delete]"));
    }

    private sealed class DiscardingSink : IDeliverySink
    {
        public void Deliver(Consumer consumer, Delivery delivery)
        {
        }

        public void Closed(Consumer consumer, string reason)
        {
        }
    }
}
