using Broker.Server;
using BrokerConsole.Api;
using BrokerConsole.Remote;

namespace BrokerConsole.Components.Tests;

/// <summary>Hosts, brokers and pairs for the fleet's pages and view models: a pair <c>amq1M</c>/<c>amq1S</c> across hosts, and what can go wrong with it.</summary>
internal static class FleetFixtures
{
    public static readonly DateTimeOffset Since = new(2026, 12, 8, 3, 0, 5, TimeSpan.Zero);

    public static HostStatus Host(string name, HostState state = HostState.Connected, string? error = null, int? version = 1, string? mismatch = null) =>
        new(name, Url(name), state, Since, error, version, mismatch);

    public static BrokerView Master(string name, string? slave, string state = "master protected", long lagRecords = 0, long lagBytes = 0, long lagMs = 0) =>
        FakeMonitorSource.Broker(name, state) with
        {
            Replication = slave is null
                ? new ReplicationStatus("none", null, false, 100, 0, 0, 0, 0, 0, 0)
                : new ReplicationStatus(lagRecords > 0 ? "catching up" : "in sync", slave, lagRecords == 0, 100, 100 - lagRecords, lagRecords, lagBytes, lagMs, 0, 0),
        };

    public static BrokerView Slave(string name, string master, string state = "slave in sync") =>
        FakeMonitorSource.Broker(name, state) with
        {
            Role = "slave",
            Replication = new ReplicationStatus(state == "slave in sync" ? "in sync" : "catching up", master, state == "slave in sync", 100, 100, 0, 0, 0, 0, 0),
        };

    public static FleetBroker On(string host, BrokerView view, HostState state = HostState.Connected) =>
        new(host, state, new Uri(Url(host)), view, null);

    /// <summary>A snapshot whose pairs are grouped as <see cref="Fleet"/> groups them (by the live link each broker reports).</summary>
    public static FleetSnapshot Snapshot(IReadOnlyList<HostStatus> hosts, params FleetBroker[] brokers) =>
        new(hosts, brokers, Pairing.Group(brokers, []));

    /// <summary>A pair drawn as given (serving member first), for the view models' tests.</summary>
    public static PairView Pair(PairMember master, PairMember slave, string link = "in sync", long lagRecords = 0, long lagBytes = 0, long lagMs = 0) =>
        new("pair", [master, slave], link, 3, link == "in sync", lagRecords, lagBytes, lagMs, null);

    public static PairMember Member(string host, string name, string role, string state, string hostState = "connected") =>
        new(host, name, role, state, hostState, 3);

    private static string Url(string host) => $"http://{host}.example:8161";
}
