using Microsoft.Extensions.DependencyInjection;
using System.Text;
using BrokerConsole.Components.Pages;

namespace BrokerConsole.Components.Tests;

public sealed class SendPageTests : ConsoleContext
{
    private IRenderedComponent<Send> RenderSend() => Render<Send>(p => p.Add(s => s.Broker, "b1"));

    [Fact]
    public void Send_CountThreeWithHeader_NumberedCopiesAndIdsShown()
    {
        var cut = RenderSend();

        cut.Find("#send-destination").Change("orders");
        cut.Find("#send-body").Change("hello");
        cut.Find("#send-header-add").Click();
        cut.WaitForElement("#send-header-name-0").Change("region");
        cut.Find("#send-header-value-0").Change("north");
        cut.Find("#send-count").Change("3");
        cut.Find("form").Submit();

        cut.WaitForAssertion(() => Assert.Contains("Sent 3 messages to /queue/orders", cut.Find("[data-testid=send-result]").TextContent, StringComparison.Ordinal));
        var messages = Broker.Browse("orders");
        Assert.Equal(3, messages.Count);
        Assert.All(messages, m => Assert.Equal("north", m.Message.Header("region")));
        Assert.Equal(["1", "2", "3"], messages.Select(m => m.Message.Header("x-copy")));
        Assert.Equal("hello", Encoding.UTF8.GetString(messages[0].Message.Body.Span));
        Assert.Contains(messages[0].Message.MessageId, cut.Find("[data-testid=send-message-ids]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void Send_NoDestination_ErrorShownNothingSent()
    {
        var cut = RenderSend();

        cut.Find("form").Submit();

        cut.WaitForAssertion(() => Assert.Contains("the name is empty", cut.Find("[data-testid=send-error]").TextContent, StringComparison.Ordinal));
        Assert.Empty(Broker.GetDestinations());
    }

    [Fact]
    public void Send_FromQueuePage_DestinationPrefilled()
    {
        Services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>().NavigateTo("send?queue=orders");

        var cut = Render<Send>();

        Assert.Equal("orders", cut.Find("#send-destination").GetAttribute("value"));
    }
}
