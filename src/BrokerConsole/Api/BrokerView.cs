using Broker.Server;
using BrokerConsole.Hosting;

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
    int ScheduledJobs = 0)
{
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
