using Broker.Core.Scheduling;
using BrokerConsole.Api;
using BrokerConsole.Components.Controls;
using BrokerConsole.Monitoring;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;

namespace BrokerConsole.Components.Pages;

/// <summary>
/// A broker's scheduled jobs (SENDs with ActiveMQ's <c>AMQ_SCHEDULED_*</c> headers), soonest first, and the admin's
/// cancel behind a confirmation. Read when the page opens, on Refresh and after a cancel: jobs have no change stream.
/// </summary>
public sealed partial class Scheduled : ComponentBase
{
    private IReadOnlyList<ScheduledJobInfo> _jobs = [];
    private ConfirmDialog _confirm = null!;
    private string? _status;
    private string? _error;

    [Parameter]
    public string? Broker { get; set; }

    [CascadingParameter]
    private Task<AuthenticationState> Authentication { get; set; } = null!;

    [Inject]
    private IMonitorSource Monitor { get; set; } = null!;

    [Inject]
    private QueueOperations Queues { get; set; } = null!;

    private string SelectedBroker => Broker ?? Monitor.BrokerNames().FirstOrDefault() ?? "";

    protected override void OnParametersSet() => Load();

    private void Load()
    {
        try
        {
            _jobs = Queues.Scheduled(SelectedBroker);
        }
        catch (OperationException e)
        {
            (_jobs, _error) = ([], e.Message);
        }
    }

    private void AskCancel(ScheduledJobInfo job) => _confirm.Ask(
        $"Cancel scheduled job {job.JobId}?",
        $"The message scheduled for {job.Destination} on {SelectedBroker} is never delivered again"
        + (job.Cron is not null ? $" (its cron entry '{job.Cron}' stops firing)" : job.RepeatsLeft > 0 ? $" (its next delivery and the {job.RepeatsLeft} repeats after it)" : "")
        + ". Messages it already delivered stay where they are. This cannot be undone.",
        "Cancel job", EventCallback.Factory.Create(this, () => CancelAsync(job.JobId)));

    private async Task CancelAsync(string jobId)
    {
        (_status, _error) = (null, null);
        try
        {
            await Queues.CancelScheduledAsync((await Authentication).User, SelectedBroker, jobId);
            _status = $"Cancelled scheduled job {jobId}.";
        }
        catch (OperationException e)
        {
            _error = e.Message;
        }
        Load();
    }
}
