using System.Text;
using Broker.Core.Messages;
using BrokerConsole.Api;
using BrokerConsole.Components.Pages;
using BrokerConsole.Monitoring;

namespace BrokerConsole.Components.Tests;

public sealed class QueueDetailPageTests : ConsoleContext
{
    private async Task SendAsync(string queue, int count, string body = "hello", params (string, string)[] headers)
    {
        for (var i = 0; i < count; i++)
        {
            await Broker.Send(new Message
            {
                MessageId = Broker.NextMessageId(),
                Destination = DestinationName.Queue(queue),
                Body = Encoding.UTF8.GetBytes($"{body} {i}"),
                Headers = [.. headers.Select(h => KeyValuePair.Create(h.Item1, h.Item2))],
            });
        }
    }

    private IRenderedComponent<QueueDetail> RenderQueue(string queue = "orders") =>
        Render<QueueDetail>(p => p.Add(q => q.Broker, "b1").Add(q => q.Queue, queue));

    private static int Rows(IRenderedComponent<QueueDetail> cut) => cut.FindAll("[data-testid=message-id]").Count;

    [Fact]
    public async Task QueueDetail_MoreThanAPage_BrowsesPageByPageWithoutConsuming()
    {
        await SendAsync("orders", 45);

        var cut = RenderQueue();

        cut.WaitForAssertion(() => Assert.Equal(QueueDetail.PageSize, Rows(cut)));
        Assert.Contains("45 messages", cut.Find("[data-testid=message-count]").TextContent, StringComparison.Ordinal);
        var first = cut.Find("[data-testid=message-id]").TextContent;
        cut.Find("[aria-label='Go to next page']").Click();
        cut.WaitForAssertion(() => Assert.NotEqual(first, cut.Find("[data-testid=message-id]").TextContent));
        cut.Find("[aria-label='Go to next page']").Click();
        cut.WaitForAssertion(() => Assert.Equal(5, Rows(cut)));
        Assert.Equal(45, Broker.Browse("orders").Count);
    }

    [Fact]
    public async Task QueueDetail_Filter_MatchesHeaderValuesOnTheServer()
    {
        await SendAsync("orders", 3, "plain");
        await SendAsync("orders", 2, "plain", ("region", "north-east"));
        var cut = RenderQueue();
        cut.WaitForAssertion(() => Assert.Equal(5, Rows(cut)));

        cut.Find("#message-filter").Change("NORTH");
        cut.Find("#message-filter-apply").Click();

        cut.WaitForAssertion(() => Assert.Equal(2, Rows(cut)));
    }

    [Fact]
    public async Task QueueDetail_MessageOpened_HeadersAndBodyEncoded()
    {
        await SendAsync("orders", 1, "<script>alert(1)</script>", ("<b>x</b>", "<img src=x onerror=alert(2)>"));
        var cut = RenderQueue();
        cut.WaitForAssertion(() => Assert.Equal(1, Rows(cut)));

        cut.Find("[data-testid=message-id]").Click();

        var detail = cut.Find("[data-testid=message-detail]");
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", detail.InnerHtml, StringComparison.Ordinal);
        Assert.Contains("&lt;img src=x onerror=alert(2)&gt;", detail.InnerHtml, StringComparison.Ordinal);
        Assert.Empty(cut.FindAll("script"));
        Assert.Empty(cut.FindAll("img"));
        Assert.EndsWith("/body", cut.Find("[data-testid=message-download]").GetAttribute("href"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task QueueDetail_MessageOpened_DetailBesideTheListUntilClosed()
    {
        await SendAsync("orders", 2);
        var cut = RenderQueue();
        cut.WaitForAssertion(() => Assert.Equal(2, Rows(cut)));
        Assert.Empty(cut.FindAll(".with-detail"));

        cut.FindAll("[data-testid=message-id]")[1].Click();

        // One split: the grid on one side, the message on the other.
        var split = cut.Find(".browse.with-detail");
        Assert.NotNull(split.QuerySelector(".list [data-testid=messages-grid]"));
        var id = cut.FindAll("[data-testid=message-id]")[1].GetAttribute("data-message-id");
        Assert.Equal(id, split.QuerySelector("aside.detail-panel [data-testid=message-detail-id]")!.TextContent);
        Assert.Contains("selected", cut.FindAll("[data-testid=message-id]")[1].ClassList);

        cut.Find("[data-testid=message-detail-close]").Click();

        Assert.Empty(cut.FindAll("[data-testid=message-detail]"));
        Assert.Empty(cut.FindAll(".with-detail"));
    }

    [Fact]
    public void QueueDetail_InFlightPushed_ShownInTheSummary()
    {
        var cut = RenderQueue();

        Monitor.Destinations.Writer.TryWrite(new DestinationChanges(true, [FakeMonitorSource.Row("orders", pending: 4, inFlight: 3)], []));

        cut.WaitForAssertion(() => Assert.Equal("3", cut.Find("[data-testid=queue-in-flight]").TextContent));
    }

    [Fact]
    public async Task QueueDetail_LargeBody_PreviewCapped()
    {
        await SendAsync("orders", 1, new string('x', 20_000));
        var cut = RenderQueue();
        cut.WaitForAssertion(() => Assert.Equal(1, Rows(cut)));

        cut.Find("[data-testid=message-id]").Click();

        Assert.Equal(Controls.MessageDetail.PreviewChars, cut.Find("[data-testid=message-body]").TextContent.Length);
        Assert.NotNull(cut.Find(".truncated"));
    }

    [Fact]
    public async Task QueueDetail_PurgeCancelled_NothingHappens()
    {
        await SendAsync("orders", 3);
        var cut = RenderQueue();
        cut.WaitForAssertion(() => Assert.Equal(3, Rows(cut)));

        cut.Find("#queue-purge").Click();
        Assert.Contains("Purge queue orders?", cut.WaitForElement("[data-testid=confirm-dialog]").TextContent, StringComparison.Ordinal);
        Assert.Equal(3, Broker.Browse("orders").Count);
        cut.WaitForElement("#confirm-cancel").Click();

        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=confirm-dialog]")));
        Assert.Equal(3, Broker.Browse("orders").Count);
    }

    [Fact]
    public async Task QueueDetail_PurgeRunningElsewhere_ButtonDisabledWithProgressUntilItEnds()
    {
        await SendAsync("orders", 3);
        var cut = RenderQueue();
        cut.WaitForAssertion(() => Assert.Equal(3, Rows(cut)));
        Assert.False(cut.Find("#queue-purge").HasAttribute("disabled"));

        // Another tab (or the API) purges this queue.
        var purge = Operations.Start(RunningOperations.PurgeKey("b1", "orders"), "a purge of queue 'orders' on b1", 50_000);
        purge.Report(12_000);

        cut.WaitForAssertion(() => Assert.True(cut.Find("#queue-purge").HasAttribute("disabled")));
        Assert.Equal("a purge of queue 'orders' on b1: 12,000 of 50,000", cut.Find("[data-testid=queue-purge-running]").TextContent.Trim());
        Assert.Equal("24", cut.Find("[data-testid=queue-purge-progress]").GetAttribute("value"));

        purge.Dispose();

        cut.WaitForAssertion(() => Assert.False(cut.Find("#queue-purge").HasAttribute("disabled")));
        Assert.Empty(cut.FindAll("[data-testid=queue-purge-running]"));
    }

    [Fact]
    public async Task QueueDetail_PurgeConfirmed_QueueEmptied()
    {
        await SendAsync("orders", 3);
        var cut = RenderQueue();
        cut.WaitForAssertion(() => Assert.Equal(3, Rows(cut)));

        cut.Find("#queue-purge").Click();
        cut.WaitForElement("#confirm-ok").Click();

        cut.WaitForAssertion(() => Assert.Contains("Purged 3 messages", cut.Find("[data-testid=operation-status]").TextContent, StringComparison.Ordinal));
        Assert.Empty(Broker.Browse("orders"));
        cut.WaitForAssertion(() => Assert.Equal(0, Rows(cut)));
    }

    [Fact]
    public async Task QueueDetail_DeleteQueueConfirmed_QueueGone()
    {
        await SendAsync("orders", 1);
        var cut = RenderQueue();
        cut.WaitForAssertion(() => Assert.Equal(1, Rows(cut)));

        cut.Find("#queue-delete").Click();
        cut.WaitForElement("#confirm-ok").Click();

        cut.WaitForAssertion(() => Assert.Null(Broker.GetDestination(DestinationName.Queue("orders"))));
    }

    [Fact]
    public async Task QueueDetail_MoveAndDelete_ActOnTheSelectedMessage()
    {
        await SendAsync("orders", 2);
        var cut = RenderQueue();
        cut.WaitForAssertion(() => Assert.Equal(2, Rows(cut)));

        cut.FindAll("[data-testid=message-id]")[0].Click();
        cut.Find("#message-target").Change("elsewhere");
        cut.Find("#message-move").Click();
        cut.WaitForAssertion(() => Assert.Equal(1, Rows(cut)));
        cut.Find("[data-testid=message-id]").Click();
        cut.Find("#message-delete").Click();

        cut.WaitForAssertion(() => Assert.Equal(0, Rows(cut)));
        Assert.Single(Broker.Browse("elsewhere"));
    }

    [Fact]
    public async Task QueueDetail_DeadLetter_RetrySendsItBack()
    {
        await SendAsync("DLQ.orders", 1, "failed", (QueueOperations.OriginalDestinationHeader, "/queue/orders"));
        var cut = RenderQueue("DLQ.orders");
        cut.WaitForAssertion(() => Assert.Equal(1, Rows(cut)));

        cut.Find("[data-testid=message-id]").Click();
        cut.Find("#message-retry").Click();

        cut.WaitForAssertion(() => Assert.Equal(0, Rows(cut)));
        Assert.Single(Broker.Browse("orders"));
    }

    [Fact]
    public async Task QueueDetail_Viewer_NoAdminControls()
    {
        SignIn("viewer", "viewer");
        await SendAsync("orders", 1);
        var cut = RenderQueue();
        cut.WaitForAssertion(() => Assert.Equal(1, Rows(cut)));

        cut.Find("[data-testid=message-id]").Click();

        Assert.NotNull(cut.Find("[data-testid=message-detail]"));
        foreach (var id in new[] { "queue-purge", "queue-delete", "message-delete", "message-move", "message-copy" })
        {
            Assert.Empty(cut.FindAll($"#{id}"));
        }
    }

    [Fact]
    public void QueueDetail_DepthPushed_ShownLive()
    {
        var cut = RenderQueue();
        Monitor.Destinations.Writer.TryWrite(new DestinationChanges(true, [FakeMonitorSource.Row("orders", pending: 4)], []));
        cut.WaitForAssertion(() => Assert.Equal("4", cut.Find("[data-testid=queue-depth]").TextContent));

        Monitor.Destinations.Writer.TryWrite(new DestinationChanges(false, [FakeMonitorSource.Row("orders", pending: 70)], []));

        cut.WaitForAssertion(() => Assert.Equal("70", cut.Find("[data-testid=queue-depth]").TextContent));
    }
}
