using Broker.Server;
using BrokerConsole.Hosting;
using BrokerConsole.Monitoring;

namespace BrokerConsole.Api;

/// <summary>A broker as <c>GET /api/brokers</c> shows it (docs/API.md).</summary>
public sealed record BrokerView(
    string Name,
    string Role,
    string State,
    long Epoch,
    IReadOnlyList<ConnectorView> Connectors,
    long UptimeSeconds,
    long Connections,
    UsageView Memory,
    UsageView Store,
    ReplicationStatus Replication,
    string? StateReason = null,
    DateTimeOffset? StateSince = null,
    HaView? Ha = null,
    int ScheduledJobs = 0,
    BrokerTraffic? Traffic = null)
{
    /// <summary>The broker with its <see cref="Traffic"/> at the monitor's last sample.</summary>
    public static BrokerView From(HostedBroker hosted, IMonitorSource monitor) =>
        From(hosted) with { Traffic = BrokerTraffic.Of(monitor.BrokerHistory(hosted.Name)) };

    public static BrokerView From(HostedBroker hosted)
    {
        var broker = hosted.Broker;
        var lifecycle = hosted.Lifecycle;
        var uptime = broker.StartedAt is { } started ? (long)(broker.Clock.GetUtcNow() - started).TotalSeconds : 0;
        return new BrokerView(
            hosted.Name,
            RoleOf(hosted),
            StateOf(hosted),
            lifecycle.Epoch,
            [.. hosted.Connectors.Select(c => new ConnectorView(c.Uri.Text, c.BoundPort, c.IsOpen))],
            uptime,
            broker.Counters.Connections,
            new UsageView(broker.Memory.Used, broker.Memory.Limit),
            new UsageView(lifecycle.StoreUsedBytes, broker.Options.StoreLimit),
            lifecycle.Replication,
            lifecycle.Status.Reason,
            lifecycle.Status.Since,
            HaView.From(lifecycle.Ha),
            broker.ScheduledCount);
    }

    /// <summary>The lifecycle state's name: the words the log, console and readiness use too.</summary>
    public static string StateOf(HostedBroker hosted) => hosted.Status.Name;

    /// <summary><c>master</c> or <c>slave</c> (while stopped: what Start makes it), <c>none</c> while starting or failed.</summary>
    public static string RoleOf(HostedBroker hosted) => hosted.Lifecycle.Role.ToString().ToLowerInvariant();
}

/// <summary>
/// How the broker is kept available: <c>mode</c> (<c>Replicated</c>, <c>SharedFileSystem</c>, <c>Database</c>), the shared
/// <c>store</c>, its <c>holder</c> (of the lock, lease or witness lease) and <c>holderSince</c>, lease renewals failing
/// (<c>renewalFailure</c>, <c>renewalFailingSince</c>) and a pure pair's <c>witness</c>.
/// </summary>
public sealed record HaView(string Mode, string? Store, string? Holder, DateTimeOffset? HolderSince, string? RenewalFailure, DateTimeOffset? RenewalFailingSince, string? Witness)
{
    public static HaView From(HaStatus ha) =>
        new(ha.Mode.ToString(), ha.Store, ha.Holder, ha.HolderSince, ha.RenewalFailure, ha.RenewalFailingSince, ha.Witness);
}

public sealed record ConnectorView(string Uri, int BoundPort, bool Open);

public sealed record UsageView(long Used, long Limit);

/// <summary>
/// A broker's traffic at the monitor's last history sample (every ~2 s): messages in and out per second over all its
/// destinations, and how many wait in them. Null before the first sample, and from a host older than this field.
/// </summary>
public sealed record BrokerTraffic(double InRate, double OutRate, long Depth)
{
    public static BrokerTraffic? Of(IReadOnlyList<RateSample> history) => history.Count == 0
        ? null
        // Rounded: the samples are floats, and 12.300000190734863 msg/s says nothing more than 12.3.
        : new(Math.Round(history[^1].EnqueueRate, 2), Math.Round(history[^1].DequeueRate, 2), history[^1].Pending);
}
