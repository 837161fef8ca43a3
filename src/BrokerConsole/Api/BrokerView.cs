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
    DateTimeOffset? StateSince = null)
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
            lifecycle.Status.Since);
    }

    /// <summary>The lifecycle state's name: the words the log, console and readiness use too.</summary>
    public static string StateOf(HostedBroker hosted) => hosted.Status.Name;

    /// <summary><c>master</c> or <c>slave</c> (while stopped: what Start makes it), <c>none</c> while starting or failed.</summary>
    public static string RoleOf(HostedBroker hosted) => hosted.Lifecycle.Role.ToString().ToLowerInvariant();
}

public sealed record ConnectorView(string Uri, int BoundPort, bool Open);

public sealed record UsageView(long Used, long Limit);
