using BrokerConsole.Components.FleetView;
using BrokerConsole.Remote;
using static BrokerConsole.Components.Tests.FleetFixtures;

namespace BrokerConsole.Components.Tests;

public sealed class FleetTextTests
{
    [Theory]
    [InlineData("pair", "master protected", "connected", "protected", Tone.Good)]
    [InlineData("pair", "master unprotected", "connected", "unprotected", Tone.Danger)]
    [InlineData("pair", "master protected", "unreachable", "host hostA unreachable", Tone.Danger)]
    [InlineData("single", "master unprotected", "connected", "no slave", Tone.Neutral)]
    [InlineData("single", "master holding lock", "connected", "protected by the shared store", Tone.Good)]
    public void Protection_ServingMember_Said(string kind, string state, string hostState, string text, Tone tone)
    {
        var pair = new PairView(kind, [Member("hostA", "amq1M", "master", state, hostState)], "none", 1, false, 0, 0, 0, null);

        Assert.Equal((text, tone), PairText.Protection(pair));
    }

    [Fact]
    public void LastFailover_Reported_TimeKindBrokerHostAndDetail()
    {
        var pair = Pair(Member("hostB", "amq1S", "master", "master unprotected"), Member("local", "amq1M", "slave", "stopped")) with
        {
            LastFailover = new FailoverView(Since, "hostB", "amq1S", "Promoted", "master amq1M failed"),
        };

        Assert.Equal("03:00:05 UTC: Promoted of amq1S on hostB (master amq1M failed)", PairText.LastFailover(pair));
    }

    [Fact]
    public void Summary_PairsSinglesAndHostsDown_Counted()
    {
        var fleet = new FleetSnapshot([Host("local"), Host("hostB", HostState.Unreachable)], [],
            [Pair(Member("local", "amq1M", "master", "master protected"), Member("hostB", "amq1S", "slave", "slave in sync")),
             new PairView("single", [Member("local", "solo", "master", "master unprotected")], "none", 1, false, 0, 0, 0, null)]);

        Assert.Equal("1 pair and 1 single broker on 2 hosts, 1 not connected", PairText.Summary(fleet));
    }

    [Fact]
    public void RemoteAnswer_Ok_TheNewState() =>
        Assert.Equal((true, "now master unprotected"), RemoteAnswer.Describe(FakeRemoteActions.Json(200, """{"state":"master unprotected"}""")));

    [Fact]
    public void RemoteAnswer_Problem_StatusAndDetail() =>
        Assert.Equal((false, "409: amq1S is not a slave"),
            RemoteAnswer.Describe(FakeRemoteActions.Json(409, """{"title":"Conflict","status":409,"detail":"amq1S is not a slave"}""")));

    [Fact]
    public void RemoteAnswer_EmptyRefusal_StatusOnly() =>
        Assert.Equal((false, "403"), RemoteAnswer.Describe(new ForwardedAnswer(403, null, [])));

    [Fact]
    public void RemoteAnswer_NotJson_StartOfTheBody() =>
        Assert.Equal((false, "502: Bad Gateway"), RemoteAnswer.Describe(new ForwardedAnswer(502, "text/plain", "Bad Gateway"u8.ToArray())));
}
