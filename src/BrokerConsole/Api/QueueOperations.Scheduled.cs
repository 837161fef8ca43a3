using System.Security.Claims;
using Broker.Core.Scheduling;

namespace BrokerConsole.Api;

public sealed partial class QueueOperations
{
    /// <summary>A broker's scheduled jobs, soonest first.</summary>
    public IReadOnlyList<ScheduledJobInfo> Scheduled(string broker) => Broker(broker).GetScheduled();

    /// <summary>Cancels a scheduled job; done when the cancel is durable (and replicated, in a pair).</summary>
    public async Task CancelScheduledAsync(ClaimsPrincipal user, string broker, string jobId)
    {
        Audit.RequireAdministrator(user);
        var durable = WriteInsideGate(broker, b => b.CancelScheduled(jobId))
            ?? throw OperationException.NotFound($"no scheduled job '{jobId}' on broker {broker} (delivered for the last time, or cancelled)");
        audit.Write(user, "cancel-scheduled", $"{broker}/scheduled/{jobId}", "");
        await durable;
    }
}
