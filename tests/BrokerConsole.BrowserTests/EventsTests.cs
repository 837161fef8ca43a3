using BrokerConsole.BrowserTests.Infrastructure;
using static BrokerConsole.BrowserTests.Infrastructure.ConsoleSession;

namespace BrokerConsole.BrowserTests;

[Collection(BrowserCollection.Name)]
public sealed class EventsTests(ChromiumFixture chromium)
{
    [Fact]
    public Task OutsideStompClient_NewQueue_AppearsLive() => RunAsync(chromium, async console =>
    {
        await console.LogInAsync("viewer");
        var events = console.Events;
        await events.OpenFromMenuAsync("Events");
        await events.ExpectEventAsync(Master, "BrokerStarted");
        await events.MarkDocumentAsync();
        var queue = $"browser.{Guid.NewGuid():N}";
        await Assertions.Expect(events.Grid.Row(queue)).ToHaveCountAsync(0);

        // Plain TCP, STOMP frames: a client the console knows nothing about.
        await console.SendStompAsync($"/queue/{queue}", count: 2);

        await events.ExpectEventAsync(Master, "DestinationCreated", queue);
        await Assertions.Expect(events.Grid.Row(queue)).ToHaveCountAsync(1);
        await events.ExpectNotReloadedAsync();
    });
}
