using Broker.Core.Events;
using Broker.Server;
using BrokerConsole.Api;
using BrokerConsole.Remote;

namespace BrokerConsole.Tests.Remote;

public sealed class PairingTests
{
    private static readonly Uri HostA = new("http://127.0.0.1:18161");
    private static readonly Uri HostB = new("http://127.0.0.1:18162");
    private static readonly DateTimeOffset T0 = new(2026, 12, 8, 1, 0, 0, TimeSpan.Zero);

    private static ReplicationStatus Link(string linkState = "none", string? partner = null, long lag = 0) =>
        new(linkState, partner, linkState == "in sync", 100, 100 - lag, lag, lag * 10, lag > 0 ? 5 : 0, 0, 0);

    private static BrokerView View(string name, string role, string state, long epoch, string connector, int boundPort, ReplicationStatus? link = null) =>
        new(name, role, state, epoch, [new ConnectorView(connector, boundPort, boundPort > 0)], 10, 0, new UsageView(0, 1), new UsageView(0, 1), link ?? Link());

    private static FleetBroker On(string host, Uri url, BrokerView view, string? masterUri = null, HostState state = HostState.Connected) =>
        new(host, state, url, view, masterUri);

    private static FleetBroker MasterOnA(HostState state = HostState.Connected) =>
        On("a", HostA, View("b1", "master", "master protected", 3, "tcp://127.0.0.1:31001", 31001, Link("in sync", "b1", lag: 2)), state: state);

    private static FleetBroker SlaveOnB() =>
        On("b", HostB, View("b1", "slave", "slave in sync", 3, "tcp://127.0.0.1:31002", 0, Link("in sync", "b1")), "tcp://127.0.0.1:31001");

    [Fact]
    public void MasterOnA_SlaveOnB_SameNames_OnePairMasterFirst()
    {
        var pairs = Pairing.Group([MasterOnA(), SlaveOnB()], []);

        var pair = Assert.Single(pairs);
        Assert.Equal("pair", pair.Kind);
        Assert.Equal([("a", "master"), ("b", "slave")], pair.Members.Select(m => (m.Host, m.Role)));
        Assert.Equal("in sync", pair.LinkState);
        Assert.True(pair.InSync);
        Assert.Equal(2, pair.LagRecords);
        Assert.Equal(3, pair.Epoch);
    }

    [Fact]
    public void HostADown_SlavePromoted_StillOnePair_PromotedFirst_WithLastFailover()
    {
        var promoted = On("b", HostB, View("b1", "master", "master unprotected", 4, "tcp://127.0.0.1:31002", 31002), "tcp://127.0.0.1:31001");
        var events = new List<FleetEvent>
        {
            new FleetEvent("b", new BrokerEvent(T0, "b1", BrokerEventKind.MasterFailed, "tcp://127.0.0.1:31001: connection reset")),
            new FleetEvent("b", new BrokerEvent(T0.AddMilliseconds(200), "b1", BrokerEventKind.Promoted, "epoch 4")),
            new FleetEvent("b", new BrokerEvent(T0.AddSeconds(1), "b1", BrokerEventKind.DestinationCreated, "/queue/x")),
            new FleetEvent("a", new BrokerEvent(T0.AddSeconds(2), "other", BrokerEventKind.Promoted, "not of this pair")),
        };

        var pair = Assert.Single(Pairing.Group([MasterOnA(HostState.Unreachable), promoted], events));

        Assert.Equal([("b", "master", "connected"), ("a", "master", "unreachable")], pair.Members.Select(m => (m.Host, m.Role, m.HostState)));
        Assert.Equal(4, pair.Epoch);
        Assert.Equal("none", pair.LinkState);
        Assert.Equal(("b", "b1", "Promoted"), (pair.LastFailover!.Host, pair.LastFailover.Broker, pair.LastFailover.Kind));
    }

    [Fact]
    public void LiveLinkThroughAProxy_MutualNames_Pair()
    {
        var master = On("a", HostA, View("amq1M", "master", "master protected", 1, "tcp://0.0.0.0:61613", 61613, Link("catching up", "amq1S", lag: 7)));
        var slave = On("b", HostB, View("amq1S", "slave", "slave catching up", 1, "tcp://0.0.0.0:62613", 0, Link("catching up", "amq1M")), "tcp://proxy:9999");

        var pair = Assert.Single(Pairing.Group([slave, master], []));

        Assert.Equal(["amq1M", "amq1S"], pair.Members.Select(m => m.Name));
        Assert.Equal("catching up", pair.LinkState);
        Assert.Equal(7, pair.LagRecords);
    }

    [Fact]
    public void UnlinkedBrokers_SameName_AreSingles()
    {
        var a = On("a", HostA, View("b1", "master", "master unprotected", 1, "tcp://127.0.0.1:31001", 31001));
        var b = On("b", HostB, View("b1", "master", "master unprotected", 1, "tcp://127.0.0.1:31002", 31002));
        var c = On("local", HostA, View("lone", "master", "stopped", 1, "tcp://127.0.0.1:0", 0));

        var groups = Pairing.Group([a, b, c], []);

        Assert.Equal(3, groups.Count);
        Assert.All(groups, g => Assert.Equal("single", g.Kind));
        Assert.All(groups, g => Assert.Equal("none", g.LinkState));
    }

    [Fact]
    public void LoopbackMasterUri_MeansTheSlavesOwnMachine()
    {
        var slave = On("b", new Uri("http://host-b:8161"), View("s", "slave", "slave connecting", 1, "tcp://0.0.0.0:62613", 0), "tcp://localhost:61613");
        var elsewhere = On("a", new Uri("http://host-a:8161"), View("m1", "master", "master unprotected", 1, "tcp://0.0.0.0:61613", 61613));
        var sameMachine = On("b2", new Uri("http://host-b:8162"), View("m2", "master", "master unprotected", 1, "tcp://0.0.0.0:61613", 61613));

        var groups = Pairing.Group([slave, elsewhere, sameMachine], []);

        var pair = Assert.Single(groups, g => g.Kind == "pair");
        Assert.Equal(["m2", "s"], pair.Members.Select(m => m.Name));
    }

    [Fact]
    public void NamedMasterUri_MatchesAConnectorOnThatHostName()
    {
        var slave = On("b", new Uri("http://host-b:8161"), View("s", "slave", "slave in sync", 1, "tcp://0.0.0.0:62613", 0, Link("in sync", "m")), "tcp://host-a:61613");
        var master = On("a", new Uri("http://host-a:8161"), View("m", "master", "master protected", 1, "tcp://0.0.0.0:61613", 61613, Link("in sync", "s")));

        Assert.Equal("pair", Assert.Single(Pairing.Group([master, slave], [])).Kind);
    }

    [Fact]
    public void TwoConnectorsOnThePort_ThePartnerNamedWins()
    {
        var slave = On("b", HostB, View("s", "slave", "slave in sync", 1, "tcp://127.0.0.1:0", 0, Link("in sync", "m2")), "tcp://127.0.0.1:40000");
        var m1 = On("a", HostA, View("m1", "master", "stopped", 1, "tcp://127.0.0.1:40000", 0));
        var m2 = On("c", HostA, View("m2", "master", "master unprotected", 1, "tcp://127.0.0.1:40000", 40000));

        var groups = Pairing.Group([m1, m2, slave], []);

        Assert.Equal(["m2", "s"], Assert.Single(groups, g => g.Kind == "pair").Members.Select(m => m.Name));
    }
}
