using System.Security.Claims;
using Broker.Core.Scheduling;
using BrokerConsole.Security;

namespace BrokerConsole.Api;

/// <summary>Scheduled jobs over HTTP (docs/API.md): list (viewers) and cancel (administrators, audited).</summary>
public static class ScheduledApi
{
    public static void MapScheduledApi(this WebApplication app)
    {
        var view = app.MapGroup("/api/brokers/{b}").RequireAuthorization(SecurityExtensions.ViewPolicy);
        var admin = app.MapGroup("/api/brokers/{b}").RequireAuthorization(SecurityExtensions.AdministerPolicy);

        view.MapGet("/scheduled", (string b, QueueOperations queues) =>
            ApiResults.From(() => Results.Ok(queues.Scheduled(b).Select(View))));
        admin.MapDelete("/scheduled/{jobId}", (string b, string jobId, ClaimsPrincipal user, QueueOperations queues) =>
            ApiResults.FromAsync(async () =>
            {
                await queues.CancelScheduledAsync(user, b, jobId);
                return Results.NoContent();
            }));
    }

    internal static object View(ScheduledJobInfo job) => new
    {
        jobId = job.JobId,
        destination = job.Destination.ToString(),
        nextDue = job.NextDue,
        repeatsLeft = job.RepeatsLeft,
        periodMs = job.PeriodMs,
        delayMs = job.DelayMs,
        cron = job.Cron,
        delivered = job.Fired,
        messageId = job.MessageId,
        size = job.MessageSize,
        scheduledAt = job.ScheduledAt,
    };
}
