using System.Text;
using Broker.Core.Messages;
using Broker.Core.Scheduling;
using BrokerConsole.Components.Pages;

namespace BrokerConsole.Components.Tests;

public sealed class ScheduledPageTests : ConsoleContext
{
    private async Task<string> ScheduleAsync(string queue, params (string, string)[] headers)
    {
        var message = new Message
        {
            MessageId = Broker.NextMessageId(),
            Destination = DestinationName.Queue(queue),
            Body = Encoding.UTF8.GetBytes("later"),
            Headers = [.. headers.Select(h => KeyValuePair.Create(h.Item1, h.Item2))],
        };
        await Broker.Schedule(message, ScheduleSpec.FromHeaders(message.Headers)!);
        return message.MessageId;
    }

    private IRenderedComponent<Scheduled> RenderPage() => Render<Scheduled>(p => p.Add(s => s.Broker, "b1"));

    [Fact]
    public async Task Scheduled_ListsJobsSoonestFirst()
    {
        var later = await ScheduleAsync("orders", (ScheduleSpec.DelayHeader, "7200000"));
        var sooner = await ScheduleAsync("billing", (ScheduleSpec.DelayHeader, "3600000"), (ScheduleSpec.PeriodHeader, "60000"), (ScheduleSpec.RepeatHeader, "4"));

        var cut = RenderPage();

        var rows = cut.FindAll("[data-testid=scheduled-row]");
        Assert.Equal([sooner, later], rows.Select(r => r.GetAttribute("data-job-id")));
        Assert.Contains("/queue/billing", rows[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("60000 ms", rows[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("2 scheduled jobs", cut.Find("[data-testid=scheduled-count]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scheduled_CancelConfirmed_JobGone_CancelDismissed_JobStays()
    {
        var kept = await ScheduleAsync("orders", (ScheduleSpec.DelayHeader, "3600000"));
        var cancelled = await ScheduleAsync("orders", (ScheduleSpec.CronHeader, "0 * * * *"));
        var cut = RenderPage();

        cut.Find($"[data-job-id='{cancelled}'] [data-testid=scheduled-cancel]").Click();
        Assert.Contains("its cron entry '0 * * * *' stops firing", cut.WaitForElement("[data-testid=confirm-dialog]").TextContent, StringComparison.Ordinal);
        cut.WaitForElement("#confirm-cancel").Click();
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=confirm-dialog]")));
        Assert.Equal(2, Broker.ScheduledCount);

        cut.Find($"[data-job-id='{cancelled}'] [data-testid=scheduled-cancel]").Click();
        cut.WaitForElement("#confirm-ok").Click();

        cut.WaitForAssertion(() => Assert.Contains($"Cancelled scheduled job {cancelled}", cut.Find("[data-testid=operation-status]").TextContent, StringComparison.Ordinal));
        Assert.Equal([kept], cut.FindAll("[data-testid=scheduled-row]").Select(r => r.GetAttribute("data-job-id")));
        Assert.Equal(kept, Assert.Single(Broker.GetScheduled()).JobId);
    }

    [Fact]
    public async Task Scheduled_Viewer_SeesNoCancelButton()
    {
        await ScheduleAsync("orders", (ScheduleSpec.DelayHeader, "3600000"));
        SignIn("viewer", "viewer");

        var cut = RenderPage();

        Assert.Single(cut.FindAll("[data-testid=scheduled-row]"));
        Assert.Empty(cut.FindAll("[data-testid=scheduled-cancel]"));
    }
}
