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

        // The filters: by kind and text, then live for what comes next.
        await events.ChooseAsync(events.Kind, "DestinationCreated");
        await events.Search.FillAsync("browser.");
        await Assertions.Expect(events.Grid.Rows).ToHaveCountAsync(1);
        await Assertions.Expect(events.Event(Master, "BrokerStarted")).ToHaveCountAsync(0);
        var second = $"browser.{Guid.NewGuid():N}";
        await console.SendStompAsync($"/queue/{second}");
        await console.SendStompAsync("/queue/other.name");
        await Assertions.Expect(events.Grid.Rows).ToHaveCountAsync(2);
        await events.ExpectEventAsync(Master, "DestinationCreated", second);
        await Assertions.Expect(events.Count).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^2 of \\d+ events$"));
        await events.ChooseAsync(events.BrokerFilter, Slave);
        await Assertions.Expect(events.Count).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^0 of \\d+ events$"));
        await Assertions.Expect(events.Event(Master, "DestinationCreated")).ToHaveCountAsync(0);
        await events.ExpectNotReloadedAsync();
    });
}
