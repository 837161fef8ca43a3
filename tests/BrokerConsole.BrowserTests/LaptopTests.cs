using BrokerConsole.BrowserTests.Infrastructure;
using BrokerConsole.BrowserTests.Pages;
using static BrokerConsole.BrowserTests.Infrastructure.ConsoleSession;

namespace BrokerConsole.BrowserTests;

/// <summary>The console on a 1024×768 laptop with the default configuration's pair, amq1M and amq1S: nothing spills sideways, no name is cut.</summary>
[Collection(BrowserCollection.Name)]
public sealed class LaptopTests(ChromiumFixture chromium)
{
    private const string Master = "amq1M";
    private const string Slave = "amq1S";

    private static readonly TimeSpan Sync = TimeSpan.FromSeconds(30);

    [Fact]
    public Task Laptop1024_NoPageOverflowsSideways_BrokerNamesShownWhole() => RunAsync(chromium, (Master, Slave), async console =>
    {
        await console.Page.SetViewportSizeAsync(1024, 768);
        var brokers = await console.LogInAsync();
        await brokers.ExpectBrokerAsync(Slave, "slave", "slave in sync", Sync);
        await brokers.ExpectBrokerAsync(Master, "master", "master protected", Sync);
        await ExpectNoSidewaysScrollAsync(console.Page);
        await ExpectWholeAsync(console.Page.GetByTestId("broker-name"), 2);
        await ExpectWholeAsync(console.Page.Locator("[data-testid=broker-role], [data-testid=broker-state]"), 4);
        foreach (var column in (string[])["Memory", "Replication", "Connectors"])
        {
            await ExpectWholeAsync(await brokers.CellAsync(Master, column), 1);
        }
        await console.ScreenshotAsync("laptop-brokers");

        var events = console.Events;
        await events.OpenFromMenuAsync("Events");
        await events.ExpectEventAsync(Master, "SlaveInSync");
        await ExpectNoSidewaysScrollAsync(console.Page);
        var brokerCells = events.Grid.Rows.GetByRole(AriaRole.Gridcell, new LocatorGetByRoleOptions { NameRegex = new("^amq1[MS]$") });
        await ExpectWholeAsync(brokerCells, 2);
        await ExpectWholeAsync(events.Grid.Rows.Locator("td:last-child"), 2);
        await console.ScreenshotAsync("laptop-events");

        var queues = new QueuesPage(console.Page, Master);
        await queues.OpenFromMenuAsync("Queues and topics");
        await console.SendStompAsync("/queue/laptop", count: 2, broker: Master);
        await Assertions.Expect(queues.Pending("laptop")).ToHaveTextAsync("2");
        await ExpectNoSidewaysScrollAsync(console.Page);
        await ExpectWholeAsync(queues.Rows, 1);

        // A message opens beside the list, and the ids (which differ only at their end) are shown whole.
        await queues.QueueLink("laptop").ClickAsync();
        var queue = new QueueDetailPage(console.Page, Master, "laptop");
        await queue.ExpectOpenAsync();
        await Assertions.Expect(queue.Messages).ToHaveCountAsync(2);
        await ExpectWholeAsync(queue.Messages, 2);
        await queue.Messages.Nth(1).ClickAsync();
        await Assertions.Expect(queue.Detail).ToBeVisibleAsync();
        var overlap = await queue.Detail.EvaluateAsync<string?>("""
            detail => {
                const left = detail.getBoundingClientRect().left, top = detail.getBoundingClientRect().top;
                const cells = [...document.querySelectorAll('[data-testid=messages-grid] th, [data-testid=messages-grid] td')];
                const under = cells.find(c => c.getBoundingClientRect().right > left + 0.5);
                const beside = cells.some(c => c.getBoundingClientRect().bottom > top);
                return under ? `a cell ends at ${under.getBoundingClientRect().right}, the detail starts at ${left}`
                    : beside ? null : 'the detail is below the list';
            }
            """);
        Assert.Null(overlap);
        await ExpectWholeAsync(queue.Messages, 2);
        await ExpectNoSidewaysScrollAsync(console.Page);
        await console.ScreenshotAsync("laptop-queue");

        await new OverviewPage(console.Page).OpenFromMenuAsync("Overview");
        await ExpectNoSidewaysScrollAsync(console.Page);
    });

    /// <summary>The window does not scroll sideways, and nothing on the page ends past its right edge (hidden by a clipping parent).</summary>
    private static async Task ExpectNoSidewaysScrollAsync(IPage page)
    {
        var widths = await page.EvaluateAsync<int[]>("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]");
        var (scroll, client) = (widths[0], widths[1]);
        Assert.True(scroll <= client, $"{page.Url}: the page is {scroll} px wide in a {client}-px window");
        var beyond = await page.EvaluateAsync<string[]>("""
            () => [...document.querySelectorAll('.page *')]
                .filter(e => e.getBoundingClientRect().width > 0 && e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
                .map(e => `${e.tagName.toLowerCase()}.${e.className} '${e.textContent.trim().slice(0, 30)}' ends at ${Math.round(e.getBoundingClientRect().right)}`)
            """);
        Assert.True(beyond.Length == 0, $"{page.Url}: {string.Join("; ", beyond.Take(5))}");
    }

    /// <summary>
    /// Each element (at least <paramref name="atLeast"/>) fits its grid cell: the cell scrolls nothing and the element
    /// ends inside it (an inline element has no client width of its own).
    /// </summary>
    private static async Task ExpectWholeAsync(ILocator elements, int atLeast)
    {
        await Assertions.Expect(elements.Nth(atLeast - 1)).ToBeVisibleAsync();
        foreach (var element in await elements.AllAsync())
        {
            var fits = await element.EvaluateAsync<string?>("""
                e => {
                    const cell = e.closest('td, th') ?? e;
                    const inner = e.getBoundingClientRect(), outer = cell.getBoundingClientRect();
                    return cell.scrollWidth <= cell.clientWidth && inner.right <= outer.right + 0.5
                        ? null : `'${e.textContent.trim()}' is ${Math.round(inner.width)} px in a ${cell.clientWidth}-px cell (scroll ${cell.scrollWidth})`;
                }
                """);
            Assert.Null(fits);
        }
    }
}
