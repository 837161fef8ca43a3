using BrokerConsole.Hosting;

namespace BrokerConsole.Api;

/// <summary>A broker as <c>GET /api/brokers</c> shows it (shared/API.md).</summary>
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
    object? Replication)
{
    public static BrokerView From(HostedBroker hosted)
    {
        var broker = hosted.Broker;
        var uptime = broker.StartedAt is { } started ? (long)(broker.Clock.GetUtcNow() - started).TotalSeconds : 0;
        return new BrokerView(
            hosted.Name,
            "master",
            broker.State.ToString().ToLowerInvariant(),
            0,
            [.. hosted.Connectors.Select(c => new ConnectorView(c.Uri.Text, c.BoundPort, c.IsOpen))],
            uptime,
            broker.Counters.Connections,
            new UsageView(broker.Memory.Used, broker.Memory.Limit),
            new UsageView(hosted.Journal?.UsedBytes ?? 0, broker.Options.StoreLimit),
            null);
    }
}

public sealed record ConnectorView(string Uri, int BoundPort, bool Open);

public sealed record UsageView(long Used, long Limit);
