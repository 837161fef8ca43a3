using Broker.Core;
using Broker.Replication;
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
    ReplicationView Replication)
{
    public static BrokerView From(HostedBroker hosted)
    {
        var broker = hosted.Broker;
        var uptime = broker.StartedAt is { } started ? (long)(broker.Clock.GetUtcNow() - started).TotalSeconds : 0;
        return new BrokerView(
            hosted.Name,
            hosted.Role == BrokerRole.Master ? "master" : "slave",
            StateOf(hosted),
            hosted.Journal?.Epoch ?? 0,
            [.. hosted.Connectors.Select(c => new ConnectorView(c.Uri.Text, c.BoundPort, c.IsOpen))],
            uptime,
            broker.Counters.Connections,
            new UsageView(broker.Memory.Used, broker.Memory.Limit),
            new UsageView(hosted.Journal?.UsedBytes ?? 0, broker.Options.StoreLimit),
            ReplicationView.From(hosted));
    }

    /// <summary>The state names the console and health checks use.</summary>
    public static string StateOf(HostedBroker hosted) => hosted.StoppedByOperator ? "stopped" : hosted.Role switch
    {
        BrokerRole.Slave => hosted.Slave?.State switch
        {
            SlaveState.Syncing => "slave syncing",
            SlaveState.InSync => "slave in sync",
            SlaveState.MasterFailed => "promoting",
            _ => "slave connecting",
        },
        _ when hosted.Broker.State != BrokerState.Started => hosted.Broker.State.ToString().ToLowerInvariant(),
        _ when hosted.Broker.ClientRefusal is { Reconnect: true } => "handing over",
        _ when hosted.Broker.ClientRefusal is not null => "waiting for slave",
        _ => hosted.Master?.IsInSync == true ? "master protected" : "master unprotected",
    };
}

public sealed record ConnectorView(string Uri, int BoundPort, bool Open);

public sealed record UsageView(long Used, long Limit);

/// <summary>The pair as this broker sees it: its link, its partner, and how far apart they are.</summary>
public sealed record ReplicationView(
    string LinkState,
    string? Partner,
    bool InSync,
    long LastSequence,
    long PartnerSequence,
    long LagRecords,
    long LagBytes,
    long LagMs,
    long Unreplicated,
    long SetAside)
{
    public static ReplicationView From(HostedBroker hosted)
    {
        var last = hosted.Journal?.LastSequence ?? 0;
        if (hosted.Role == BrokerRole.Slave && hosted.Slave is { } slave)
        {
            var lag = Math.Max(0, slave.MasterLastSequence - last);
            var linkState = slave.State switch
            {
                SlaveState.InSync => "in sync",
                SlaveState.Syncing => "catching up",
                SlaveState.MasterFailed => "master failed",
                _ => "connecting",
            };
            return new ReplicationView(linkState, slave.MasterName, slave.State == SlaveState.InSync,
                last, slave.MasterLastSequence, lag, 0, 0, 0, slave.RecordsSetAside);
        }
        if (hosted.Master is not { } master)
        {
            return new ReplicationView("none", null, false, last, 0, 0, 0, 0, last, hosted.Slave?.RecordsSetAside ?? 0);
        }
        var acked = master.AckedSequence;
        var behind = Math.Max(0, last - acked);
        var lagMs = behind > 0 && master.LastAckAt is { } at ? (long)(DateTimeOffset.UtcNow - at).TotalMilliseconds : 0;
        return new ReplicationView(
            master.State switch { Broker.Replication.LinkState.InSync => "in sync", Broker.Replication.LinkState.CatchingUp => "catching up", _ => "none" },
            master.SlaveName, master.IsInSync, last, acked, behind, master.LagBytes, lagMs, master.IsInSync ? 0 : behind, hosted.Slave?.RecordsSetAside ?? 0);
    }
}
