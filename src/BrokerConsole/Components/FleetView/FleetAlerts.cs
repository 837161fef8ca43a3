using BrokerConsole.Api;
using BrokerConsole.Components.Pages;
using BrokerConsole.Remote;

namespace BrokerConsole.Components.FleetView;

/// <summary>What an alert is about; also the order alerts of one severity are listed in.</summary>
public enum AlertKind
{
    HostUnreachable,
    HostRefused,
    UnprotectedMaster,
    SlaveCatchingUp,
    StoreHigh,
    MemoryHigh,
    ProtocolMismatch,
}

public enum AlertSeverity
{
    Critical,
    Warning,
}

/// <summary>One line of the overview's Alerts panel: <paramref name="Broker"/> is null for a host's own alert.</summary>
public sealed record FleetAlert(AlertKind Kind, AlertSeverity Severity, string Host, string? Broker, string Text, DateTimeOffset? Since = null);

/// <summary>
/// The alerts the overview shows for a <see cref="FleetSnapshot"/>, computed from it alone (no clock, no services):
/// a host unreachable or refusing our login, a host on another monitor protocol version, a master of a pair serving
/// without its slave, a slave catching up, store or memory above <see cref="UsageThreshold"/> of its limit.
/// </summary>
public static class FleetAlerts
{
    /// <summary>The share of a limit above which store or memory use is an alert.</summary>
    public const double UsageThreshold = 0.8;

    /// <summary>A master in these states serves with no slave in sync.</summary>
    private static readonly string[] UnprotectedStates = ["master unprotected", "waiting for slave"];

    public static IReadOnlyList<FleetAlert> Of(FleetSnapshot snapshot)
    {
        var alerts = new List<FleetAlert>();
        foreach (var host in snapshot.Hosts)
        {
            alerts.AddRange(ForHost(host));
        }
        foreach (var pair in snapshot.Pairs.Where(p => p.Kind == "pair"))
        {
            alerts.AddRange(ForPair(pair));
        }
        // Figures of a host we cannot reach are as last seen: no alert on them (the host's own alert says why).
        foreach (var broker in snapshot.Brokers.Where(b => b.HostState == HostState.Connected))
        {
            alerts.AddRange(ForUsage(broker));
        }
        return [.. alerts.OrderBy(a => a.Severity).ThenBy(a => a.Kind)];
    }

    private static IEnumerable<FleetAlert> ForHost(HostStatus host)
    {
        var error = host.LastError is { } e ? $": {e}" : "";
        switch (host.State)
        {
            case HostState.Unreachable:
                yield return new FleetAlert(AlertKind.HostUnreachable, AlertSeverity.Critical, host.Name, null,
                    $"Host {host.Name} ({host.Url}) unreachable since {Format.Time(host.Since)}{error}", host.Since);
                break;
            case HostState.Refused:
                yield return new FleetAlert(AlertKind.HostRefused, AlertSeverity.Critical, host.Name, null,
                    $"Host {host.Name} ({host.Url}) refuses this console's login since {Format.Time(host.Since)}{error}", host.Since);
                break;
        }
        if (host.VersionMismatch is { } mismatch)
        {
            // The watcher's words already name both versions.
            yield return new FleetAlert(AlertKind.ProtocolMismatch, AlertSeverity.Warning, host.Name, null, $"Host {host.Name} ({host.Url}): {mismatch}");
        }
    }

    private static IEnumerable<FleetAlert> ForPair(PairView pair)
    {
        // A single broker is unprotected by design (no slave configured), so only a pair's master is an alert.
        foreach (var master in pair.Members.Where(m => m.Role == "master" && m.HostState == "connected" && UnprotectedStates.Contains(m.State)))
        {
            var others = pair.Members.Where(m => m != master).Select(m => $"{m.Name} on {m.Host} is {Describe(m)}");
            yield return new FleetAlert(AlertKind.UnprotectedMaster, AlertSeverity.Critical, master.Host, master.Name,
                $"{master.Name} on {master.Host} serves unprotected ({master.State}): {string.Join(", ", others)}");
        }
        var catchingUp = pair.Members.Where(m => m.Role == "slave" && m.HostState == "connected" && m.State == "slave catching up").ToList();
        if (catchingUp.Count == 0 && pair.LinkState == "catching up" && pair.Members.FirstOrDefault(m => m.Role == "slave") is { } linked)
        {
            catchingUp.Add(linked);
        }
        foreach (var slave in catchingUp)
        {
            yield return new FleetAlert(AlertKind.SlaveCatchingUp, AlertSeverity.Warning, slave.Host, slave.Name,
                $"{slave.Name} on {slave.Host} is catching up: {Lag(pair)} behind");
        }
    }

    private static IEnumerable<FleetAlert> ForUsage(FleetBroker broker)
    {
        if (Above(broker.View.Store) is { } store)
        {
            yield return new FleetAlert(AlertKind.StoreHigh, AlertSeverity.Warning, broker.Host, broker.View.Name,
                $"{broker.View.Name} on {broker.Host}: store {Format.Usage(broker.View.Store)} ({store:0} %)");
        }
        if (Above(broker.View.Memory) is { } memory)
        {
            yield return new FleetAlert(AlertKind.MemoryHigh, AlertSeverity.Warning, broker.Host, broker.View.Name,
                $"{broker.View.Name} on {broker.Host}: memory {Format.Usage(broker.View.Memory)} ({memory:0} %)");
        }
    }

    /// <summary>The use in percent when above the threshold; null when below or when there is no limit.</summary>
    private static double? Above(UsageView usage) =>
        usage.Limit > 0 && usage.Used > usage.Limit * UsageThreshold ? 100.0 * usage.Used / usage.Limit : null;

    private static string Describe(PairMember member) => member.HostState == "connected" ? member.State : $"on a host that is {member.HostState}";

    /// <summary>The lag of a pair as the overview writes it.</summary>
    public static string Lag(PairView pair) => $"{pair.LagRecords} records, {Format.Bytes(pair.LagBytes)}, {pair.LagMs} ms";
}
