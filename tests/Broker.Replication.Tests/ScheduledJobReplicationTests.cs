using System.Text;
using Broker.Core.Messages;
using Broker.Core.Scheduling;
using Broker.Server;

namespace Broker.Replication.Tests;

/// <summary>Scheduled jobs in a pair: the slave folds the master's job records, so after a failover it has every job, where the master left it.</summary>
public sealed class ScheduledJobReplicationTests
{
    private static Message Scheduled(BrokerLifecycle broker, string text) => new()
    {
        MessageId = broker.Broker.NextMessageId(),
        Destination = DestinationName.Queue("later"),
        Body = Encoding.UTF8.GetBytes(text),
        Persistent = true,
    };

    [Fact]
    public async Task MasterGone_PromotedSlave_HasEveryLiveJob_NotTheCancelledOnes()
    {
        await using var pair = new LifecyclePair();
        await pair.StartAsync();
        var hourly = Scheduled(pair.Master, "hourly");
        var later = Scheduled(pair.Master, "in an hour");
        var cancelled = Scheduled(pair.Master, "cancelled");
        await pair.Master.Broker.Schedule(hourly, new ScheduleSpec(0, 0, 0, "0 * * * *"));
        await pair.Master.Broker.Schedule(later, new ScheduleSpec(3_600_000, 60_000, 5, null));
        await pair.Master.Broker.Schedule(cancelled, new ScheduleSpec(3_600_000, 0, 0, null));
        await pair.Master.Broker.CancelScheduled(cancelled.MessageId)!;
        var onMaster = pair.Master.Broker.GetScheduled();

        LifecyclePair.EndpointsOf(pair.Master).Kill();
        await LifecyclePair.WaitForAsync(pair.Slave, LifecycleState.MasterUnprotected);

        var onSlave = pair.Slave.Broker.GetScheduled();
        Assert.Equal(onMaster.Select(j => (j.JobId, j.NextDue, j.RepeatsLeft, j.Cron)), onSlave.Select(j => (j.JobId, j.NextDue, j.RepeatsLeft, j.Cron)));
        Assert.Equal(new[] { hourly.MessageId, later.MessageId }.Order(StringComparer.Ordinal), onSlave.Select(j => j.JobId).Order(StringComparer.Ordinal));
        Assert.NotNull(pair.Slave.Broker.CancelScheduled(later.MessageId));
    }
}
