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
        var brokers = await console.LogInAsync("viewer");

        await Assertions.Expect(brokers.User).ToHaveTextAsync("viewer");
        await brokers.ExpectBrokerAsync(Master, "master", "master protected", TimeSpan.FromSeconds(30));
        await Assertions.Expect(brokers.AdminActions).ToHaveCountAsync(0);
        var events = console.Events;
        await events.OpenFromMenuAsync("Events");
        await events.ExpectEventAsync(Master, "BrokerStarted");
        await Assertions.Expect(events.AdminActions).ToHaveCountAsync(0);

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
    });
}
