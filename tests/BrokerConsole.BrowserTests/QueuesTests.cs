using System.Text.RegularExpressions;
using BrokerConsole.BrowserTests.Infrastructure;
using BrokerConsole.BrowserTests.Pages;
using static BrokerConsole.BrowserTests.Infrastructure.ConsoleSession;

namespace BrokerConsole.BrowserTests;

/// <summary>The Queues and topics list, Queue detail and Send pages against the real host, as an admin.</summary>
[Collection(BrowserCollection.Name)]
public sealed class QueuesTests(ChromiumFixture chromium)
{
    [Fact]
    public Task QueueDepth_MovesLiveWhileAnOutsideClientSends() => RunAsync(chromium, async console =>
    {
        await console.LogInAsync();
        await console.SendStompAsync("/queue/audit", count: 1);
        var queues = new QueuesPage(console.Page, Master);
        await queues.OpenFromMenuAsync("Queues and topics");
        await Assertions.Expect(queues.Pending("audit")).ToHaveTextAsync("1");
        await queues.MarkDocumentAsync();

        // Plain TCP, STOMP frames: the page learns of them only over its live stream.
        await console.SendStompAsync("/queue/orders", count: 2);
        await Assertions.Expect(queues.Pending("orders")).ToHaveTextAsync("2");
        await console.SendStompAsync("/queue/orders", count: 3);
        await Assertions.Expect(queues.Pending("orders")).ToHaveTextAsync("5");
        await queues.ExpectNotReloadedAsync();
        await queues.Search.FillAsync("ord");
        await Assertions.Expect(queues.Rows).ToHaveCountAsync(1);
        await Assertions.Expect(queues.Pending("audit")).ToHaveCountAsync(0);
        await queues.Search.FillAsync("");
        await Assertions.Expect(queues.Rows).ToHaveCountAsync(2);
        await console.ScreenshotAsync("queues");

        // The queue's own page follows it too.
        await queues.QueueLink("orders").ClickAsync();
        var detail = new QueueDetailPage(console.Page, Master, "orders");
        await detail.ExpectOpenAsync();
        await Assertions.Expect(detail.Depth).ToHaveTextAsync("5");
        await detail.MarkDocumentAsync();
        await console.SendStompAsync("/queue/orders", count: 1);
        await Assertions.Expect(detail.Depth).ToHaveTextAsync("6");
        await detail.ExpectNotReloadedAsync();
    });

    [Fact]
    public Task Message_BrowsedAndOpened_ShowsItsHeadersAndBody() => RunAsync(chromium, async console =>
    {
        await using (var producer = await console.ConnectStompAsync())
        {
            for (var i = 1; i <= 3; i++)
            {
                await producer.SendTextAsync("/queue/invoices", $"{{\"invoice\": {i}, \"total\": \"<b>{i * 10}.00</b>\"}}",
                    ("persistent", "true"), ("content-type", "application/json"), ("x-customer", $"customer-{i}"), ("receipt", $"r{i}"));
                Assert.Equal("RECEIPT", (await producer.ReceiveAsync(ActionTimeout)).Command);
            }
        }
        await console.LogInAsync();
        var detail = new QueueDetailPage(console.Page, Master, "invoices");
        await detail.OpenAsync();
        await Assertions.Expect(detail.Depth).ToHaveTextAsync("3");
        await Assertions.Expect(detail.Messages).ToHaveCountAsync(3);
        await Assertions.Expect(detail.MessageCount).ToHaveTextAsync("3 messages");

        var second = detail.Messages.Nth(1);
        var id = (await second.InnerTextAsync()).Trim();
        await second.ClickAsync();

        await Assertions.Expect(detail.Detail).ToBeVisibleAsync();
        await Assertions.Expect(detail.DetailId).ToHaveTextAsync(id);
        await Assertions.Expect(detail.Headers).ToContainTextAsync("x-customer");
        await Assertions.Expect(detail.Headers).ToContainTextAsync("customer-2");
        await Assertions.Expect(detail.Headers).ToContainTextAsync("application/json");
        // Shown as text: the markup in the body is not rendered.
        await Assertions.Expect(detail.Body).ToHaveTextAsync("{\"invoice\": 2, \"total\": \"<b>20.00</b>\"}");
        // Browsing consumed nothing.
        await Assertions.Expect(detail.Depth).ToHaveTextAsync("3");
    });

    [Fact]
    public Task SendPage_ShowsTheMessageId_ThenTheMessageIsInTheQueue() => RunAsync(chromium, async console =>
    {
        await console.LogInAsync();
        var send = new SendPage(console.Page, Master);
        await send.OpenAsync();
        await send.Destination.FillAsync("test.send");
        await send.Body.FillAsync("hello from the console");
        await send.AddHeader.ClickAsync();
        await send.HeaderName(0).FillAsync("x-origin");
        await send.HeaderValue(0).FillAsync("browser-test");
        await send.Submit.ClickAsync();

        await Assertions.Expect(send.Result).ToContainTextAsync("Sent 1 message to /queue/test.send");
        await Assertions.Expect(send.MessageIds).ToHaveTextAsync(new Regex(@"^\S+$"));
        await Assertions.Expect(send.Error).ToHaveCountAsync(0);
        var id = (await send.MessageIds.InnerTextAsync()).Trim();
        await console.ScreenshotAsync("send");

        var queues = new QueuesPage(console.Page, Master);
        await queues.OpenAsync();
        await Assertions.Expect(queues.Pending("test.send")).ToHaveTextAsync("1");
        await queues.QueueLink("test.send").ClickAsync();
        var detail = new QueueDetailPage(console.Page, Master, "test.send");
        await detail.ExpectOpenAsync();
        await detail.MessageId(id).ClickAsync();
        await Assertions.Expect(detail.DetailId).ToHaveTextAsync(id);
        await Assertions.Expect(detail.Headers).ToContainTextAsync("browser-test");
        await Assertions.Expect(detail.Body).ToHaveTextAsync("hello from the console");
    });

    [Fact]
    public Task Purge_CancelKeepsTheMessages_ConfirmEmptiesTheQueue() => RunAsync(chromium, async console =>
    {
        await console.SendStompAsync("/queue/to.purge", count: 4);
        await console.LogInAsync();
        var detail = new QueueDetailPage(console.Page, Master, "to.purge");
        await detail.OpenAsync();
        await Assertions.Expect(detail.Messages).ToHaveCountAsync(4);
        // The admin's buttons are what AdminActions finds (the viewer test counts on it finding none).
        await Assertions.Expect(detail.AdminActions).Not.ToHaveCountAsync(0);

        await detail.Purge.ClickAsync();
        await Assertions.Expect(detail.ConfirmationText).ToContainTextAsync("Every message waiting in queue 'to.purge' on b1 (4 now) is deleted");
        await detail.CancelButton.ClickAsync();

        await Assertions.Expect(detail.Confirmation).ToHaveCountAsync(0);
        await Assertions.Expect(detail.Depth).ToHaveTextAsync("4");
        await Assertions.Expect(detail.Messages).ToHaveCountAsync(4);
        await Assertions.Expect(detail.OperationStatus).ToHaveCountAsync(0);

        await detail.Purge.ClickAsync();
        await detail.ConfirmButton.ClickAsync();

        await Assertions.Expect(detail.Confirmation).ToHaveCountAsync(0);
        await Assertions.Expect(detail.OperationStatus).ToHaveTextAsync("Purged 4 messages.");
        await Assertions.Expect(detail.Depth).ToHaveTextAsync("0");
        await Assertions.Expect(detail.Messages).ToHaveCountAsync(0);
        await Assertions.Expect(detail.MessageCount).ToHaveTextAsync("0 messages");
    });
}
