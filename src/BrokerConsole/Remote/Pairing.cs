using Broker.Core.Events;
using BrokerConsole.Api;

namespace BrokerConsole.Remote;

/// <summary>
/// A broker of any host, with what pairing needs: its host (<c>local</c> for ours), whether that host is connected
/// now (else <see cref="View"/> is as last seen), the host's address, and the master URI it is configured to follow.
/// </summary>
public sealed record FleetBroker(string Host, HostState HostState, Uri? HostUrl, BrokerView View, string? MasterUri);

/// <summary>A broker in a <see cref="PairView"/>.</summary>
public sealed record PairMember(string Host, string Name, string Role, string State, string HostState, long Epoch);

/// <summary>The last failover, promotion or switchover a member of the group reported.</summary>
public sealed record FailoverView(DateTimeOffset Time, string Host, string Broker, string Kind, string Detail);

/// <summary>
/// Brokers drawn as one: a <c>pair</c> (two or more brokers linked by replication, whatever hosts they run on) or a
/// <c>single</c>. <see cref="Members"/> starts with the one serving (a master on a connected host). The link state,
/// epoch and lag are the serving master's as it reports them (or, with no master reachable, its slave's).
/// </summary>
public sealed record PairView(
    string Kind,
    IReadOnlyList<PairMember> Members,
    string LinkState,
    long Epoch,
    bool InSync,
    long LagRecords,
    long LagBytes,
    long LagMs,
    FailoverView? LastFailover);

/// <summary>
/// Groups the brokers of every host into pairs by the replication link each reports. Two clues, either enough:
/// a slave's configured master URI names a port (and machine) where another broker's connector listens, which
/// still holds after a failover or while one host is down; and a live link, where a master names its slave and
/// that slave names the master back. Machines are compared by name as written (a connector on 0.0.0.0 or loopback
/// is on its host's machine, that is, the host of its console URL); names are not resolved through DNS.
/// </summary>
public static class Pairing
{
    private static readonly BrokerEventKind[] FailoverKinds = [BrokerEventKind.MasterFailed, BrokerEventKind.Promoted, BrokerEventKind.Switchover];

    public static IReadOnlyList<PairView> Group(IReadOnlyList<FleetBroker> brokers, IReadOnlyList<FleetEvent> events)
    {
        var parent = Enumerable.Range(0, brokers.Count).ToArray();
        int Root(int i) => parent[i] == i ? i : parent[i] = Root(parent[i]);
        void Join(int a, int b) => parent[Root(a)] = Root(b);

        for (var s = 0; s < brokers.Count; s++)
        {
            if (ByConfiguredMaster(brokers, s) is { } m)
            {
                Join(s, m);
            }
            if (ByLiveLink(brokers, s) is { } partner)
            {
                Join(s, partner);
            }
        }
        return [.. Enumerable.Range(0, brokers.Count)
            .GroupBy(Root)
            .OrderBy(g => g.Min())
            .Select(g => Describe([.. g.Select(i => brokers[i])], events))];
    }

    /// <summary>The broker whose connector the slave's configured master URI points at, when exactly one (or one named as its partner) fits.</summary>
    private static int? ByConfiguredMaster(IReadOnlyList<FleetBroker> brokers, int s)
    {
        var slave = brokers[s];
        if (slave.MasterUri is null || !Uri.TryCreate(slave.MasterUri, UriKind.Absolute, out var master) || master.Port <= 0)
        {
            return null;
        }
        var machine = Machine(master.Host, slave.HostUrl);
        var candidates = Enumerable.Range(0, brokers.Count)
            .Where(i => i != s && brokers[i].View.Connectors.Any(c => Port(c) == master.Port && Machine(HostOf(c.Uri), brokers[i].HostUrl) == machine))
            .ToList();
        return candidates.Count switch
        {
            1 => candidates[0],
            > 1 when candidates.Where(i => brokers[i].View.Name == slave.View.Replication.Partner).ToList() is [var named] => named,
            _ => null,
        };
    }

    /// <summary>A master naming its slave that names it back, when exactly one broker fits.</summary>
    private static int? ByLiveLink(IReadOnlyList<FleetBroker> brokers, int m)
    {
        var master = brokers[m].View;
        if (master.Role != "master" || master.Replication.LinkState == "none" || master.Replication.Partner is not { } partner)
        {
            return null;
        }
        var candidates = Enumerable.Range(0, brokers.Count)
            .Where(i => i != m && brokers[i].View.Name == partner && brokers[i].View.Role == "slave" && brokers[i].View.Replication.Partner == master.Name)
            .ToList();
        return candidates is [var only] ? only : null;
    }

    private static PairView Describe(IReadOnlyList<FleetBroker> members, IReadOnlyList<FleetEvent> events)
    {
        // The serving one first: a master on a connected host (a master last seen on a host now down is not serving),
        // the latest epoch among several.
        var ordered = members
            .OrderByDescending(b => b.HostState == HostState.Connected)
            .ThenByDescending(b => b.View.Role == "master")
            .ThenByDescending(b => b.View.Epoch)
            .ThenBy(b => b.Host == ConsoleOptions.LocalHost ? 0 : 1)
            .ToList();
        var first = ordered[0];
        var reporting = first.View.Role == "master" && first.View.Replication.LinkState != "none" ? first
            : ordered.FirstOrDefault(b => b.HostState == HostState.Connected && b.View.Role == "slave") ?? first;
        var replication = reporting.View.Replication;
        var lastFailover = events
            .Where(e => FailoverKinds.Contains(e.Event.Kind) && members.Any(m => m.Host == e.Host && m.View.Name == e.Event.Broker))
            .OrderByDescending(e => e.Event.Time)
            .Select(e => new FailoverView(e.Event.Time, e.Host, e.Event.Broker, e.Event.Kind.ToString(), e.Event.Detail))
            .FirstOrDefault();
        return new PairView(
            members.Count > 1 ? "pair" : "single",
            [.. ordered.Select(b => new PairMember(b.Host, b.View.Name, b.View.Role, b.View.State, b.HostState.ToString().ToLowerInvariant(), b.View.Epoch))],
            members.Count > 1 ? replication.LinkState : "none",
            ordered.Where(b => b.HostState == HostState.Connected).Select(b => b.View.Epoch).DefaultIfEmpty(first.View.Epoch).Max(),
            replication.InSync,
            replication.LagRecords,
            replication.LagBytes,
            replication.LagMs,
            lastFailover);
    }

    private static int Port(ConnectorView connector) =>
        connector.BoundPort > 0 ? connector.BoundPort : Uri.TryCreate(connector.Uri, UriKind.Absolute, out var uri) ? uri.Port : -1;

    private static string HostOf(string uri) => Uri.TryCreate(uri, UriKind.Absolute, out var parsed) ? parsed.Host : "";

    /// <summary>Which machine an address is on: a wildcard or loopback address is on the machine of its host's console URL.</summary>
    private static string Machine(string host, Uri? hostUrl)
    {
        var name = Normal(host);
        if (name is "loopback" or "any" && hostUrl is not null)
        {
            var own = Normal(hostUrl.Host);
            return own == "any" ? "loopback" : own;
        }
        return name == "any" ? "loopback" : name;
    }

    private static string Normal(string host)
    {
        var name = host.Trim('[', ']').ToLowerInvariant();
        return name switch
        {
            "localhost" or "::1" => "loopback",
            "0.0.0.0" or "::" or "*" or "+" or "" => "any",
            _ when System.Net.IPAddress.TryParse(name, out var ip) && System.Net.IPAddress.IsLoopback(ip) => "loopback",
            _ => name,
        };
    }
}
