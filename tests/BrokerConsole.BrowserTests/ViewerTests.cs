using System.Net;
using System.Net.Http.Json;
using BrokerConsole.BrowserTests.Infrastructure;
using static BrokerConsole.BrowserTests.Infrastructure.ConsoleSession;

namespace BrokerConsole.BrowserTests;

[Collection(BrowserCollection.Name)]
public sealed class ViewerTests(ChromiumFixture chromium)
{
    [Fact]
    public Task Viewer_SeesThePagesWithoutAdminActions_AndAdminCallsAre403() => RunAsync(chromium, async console =>
    {
        await console.SendStompAsync("/queue/viewed", count: 2);
        var brokers = await console.LogInAsync("viewer");

        await Assertions.Expect(brokers.User).ToHaveTextAsync("viewer");
        await brokers.ExpectBrokerAsync(Master, "master", "master protected", TimeSpan.FromSeconds(30));
        await Assertions.Expect(brokers.AdminActions).ToHaveCountAsync(0);
        await Assertions.Expect(console.Page.Locator("[data-testid^=action-]")).ToHaveCountAsync(0);
        var events = console.Events;
        await events.OpenFromMenuAsync("Events");
        await events.ExpectEventAsync(Master, "BrokerStarted");
        await Assertions.Expect(events.AdminActions).ToHaveCountAsync(0);
        await Assertions.Expect(console.Page.GetByTestId("nav-send")).ToHaveCountAsync(0);

        // Queues and a queue's messages: readable, without a button that changes anything.
        var queues = new Pages.QueuesPage(console.Page, Master);
        await queues.OpenFromMenuAsync("Queues and topics");
        await Assertions.Expect(queues.Pending("viewed")).ToHaveTextAsync("2");
        await Assertions.Expect(queues.AdminActions).ToHaveCountAsync(0);
        await queues.QueueLink("viewed").ClickAsync();
        var detail = new Pages.QueueDetailPage(console.Page, Master, "viewed");
        await detail.ExpectOpenAsync();
        await Assertions.Expect(detail.Messages).ToHaveCountAsync(2);
        await detail.Messages.First.ClickAsync();
        await Assertions.Expect(detail.Body).ToHaveTextAsync("message-1");
        await Assertions.Expect(detail.AdminActions).ToHaveCountAsync(0);
        foreach (var id in new[] { "#queue-purge", "#queue-delete", "#message-delete", "#message-move", "#message-copy", "#message-target" })
        {
            await Assertions.Expect(console.Page.Locator(id)).ToHaveCountAsync(0);
        }

        // The server refuses, whatever the page shows: HTTP Basic...
        using var viewer = console.Api("viewer");
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsync($"/api/brokers/{Master}/stop", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsync($"/api/brokers/{Slave}/promote", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsJsonAsync($"/api/brokers/{Master}/queues/q/messages", new { body = "x" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.DeleteAsync($"/api/brokers/{Master}/queues/q/messages")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync("/api/brokers")).StatusCode);
        // ...and the console's own cookie, sent by the browser.
        var stop = await console.Page.APIRequest.PostAsync($"api/brokers/{Master}/stop");
        Assert.Equal((int)HttpStatusCode.Forbidden, stop.Status);
        var read = await console.Page.APIRequest.GetAsync("api/brokers");
        Assert.Equal((int)HttpStatusCode.OK, read.Status);

        // Nothing changed.
        await console.Brokers.OpenFromMenuAsync("Brokers");
        await console.Brokers.ExpectBrokerAsync(Master, "master", "master protected");
        // Send is not for viewers, even by its address: the endpoint turns them away to the login page.
        var send = new Pages.SendPage(console.Page, Master);
        await console.Page.GotoAsync(send.Path);
        await console.Login.ExpectOpenAsync();
        await Assertions.Expect(send.Submit).ToHaveCountAsync(0);
    });
}
