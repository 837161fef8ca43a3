using Broker.Core.Scheduling;
using BrokerConsole.Api;
using Microsoft.AspNetCore.Components;

namespace BrokerConsole.Components.Pages;

/// <summary>
/// A broker's scheduled jobs (SENDs with ActiveMQ's <c>AMQ_SCHEDULED_*</c> headers), soonest first, live, and the
/// admin's cancel behind a confirmation.
/// </summary>
public sealed partial class Scheduled : BrokerListPage<IReadOnlyList<ScheduledJobInfo>>
{
    [Inject]
    private QueueOperations Queues { get; set; } = null!;

    protected override IReadOnlyList<ScheduledJobInfo> Empty => [];

    protected override IReadOnlyList<ScheduledJobInfo> Read(string broker) => Queues.Scheduled(broker);

    private void AskCancel(ScheduledJobInfo job) => Confirm.Ask(
        $"Cancel scheduled job {job.JobId}?",
        $"The message scheduled for {job.Destination} on {SelectedBroker} is never delivered again"
        + (job.Cron is not null ? $" (its cron entry '{job.Cron}' stops firing)" : job.RepeatsLeft > 0 ? $" (its next delivery and the {job.RepeatsLeft} repeats after it)" : "")
        + ". Messages it already delivered stay where they are. This cannot be undone.",
        "Cancel job", EventCallback.Factory.Create(this, () => ActAsync(user => Queues.CancelScheduledAsync(user, SelectedBroker, job.JobId),
            $"Cancelled scheduled job {job.JobId}.")));
}
