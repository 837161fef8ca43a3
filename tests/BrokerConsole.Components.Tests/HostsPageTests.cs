using BrokerConsole.Components.Pages;
using BrokerConsole.Remote;
using static BrokerConsole.Components.Tests.FleetFixtures;

namespace BrokerConsole.Components.Tests;

public sealed class HostsPageTests : ConsoleContext
{
    private IRenderedComponent<Hosts> RenderHosts(FleetSnapshot fleet)
    {
        var cut = Render<Hosts>();
        Fleet.Snapshots.Writer.TryWrite(fleet);
        cut.WaitForState(() => cut.FindAll("[data-testid=host]").Count == fleet.Hosts.Count);
        return cut;
    }

    private static string Field(IRenderedComponent<Hosts> cut, string host, string field) =>
        cut.Find($"[data-testid=host][data-host={host}] [data-testid={field}]").TextContent.Trim();

    [Fact]
    public void Hosts_UnreachableHost_StateSinceAndLastErrorShown()
    {
        var cut = RenderHosts(Snapshot([Host("local"), Host("hostB", HostState.Unreachable, "Connection refused (hostB.example:8161)", version: null)],
            On("hostB", Master("amq1S", null), HostState.Unreachable)));

        Assert.Equal("unreachable", Field(cut, "hostB", "host-state"));
        Assert.Equal("danger", cut.Find("[data-testid=host][data-host=hostB] [data-testid=host-state]").GetAttribute("data-tone"));
        Assert.Equal("03:00:05 UTC", Field(cut, "hostB", "host-since"));
        Assert.Equal("Connection refused (hostB.example:8161)", Field(cut, "hostB", "host-error"));
        Assert.Equal("http://hostB.example:8161", Field(cut, "hostB", "host-url"));
        Assert.Equal("not told", Field(cut, "hostB", "host-protocol"));
        Assert.Equal("amq1S", Field(cut, "hostB", "host-brokers"));
        Assert.Equal("connected", Field(cut, "local", "host-state"));
        Assert.Equal("version 1", Field(cut, "local", "host-protocol"));
        Assert.Empty(cut.FindAll("[data-testid=host][data-host=local] [data-testid=host-error]"));
    }

    [Fact]
    public void Hosts_RefusedAndOtherVersion_Shown()
    {
        var cut = RenderHosts(Snapshot([Host("locked", HostState.Refused, "401 Unauthorized"),
            Host("newer", version: 2, mismatch: "the host speaks monitor protocol version 2, this console 1")]));

        Assert.Equal("refused", Field(cut, "locked", "host-state"));
        Assert.Equal("401 Unauthorized", Field(cut, "locked", "host-error"));
        Assert.Equal("version 2", Field(cut, "newer", "host-protocol"));
        Assert.Equal("the host speaks monitor protocol version 2, this console 1", Field(cut, "newer", "host-mismatch"));
    }

    [Fact]
    public void Hosts_BackConnected_UpdatesLive()
    {
        var cut = RenderHosts(Snapshot([Host("hostB", HostState.Unreachable, "timeout")]));

        Fleet.Snapshots.Writer.TryWrite(Snapshot([Host("hostB", HostState.Connected, "timeout")]));

        cut.WaitForState(() => Field(cut, "hostB", "host-state") == "connected");
        // The last error stays, so the operator sees why it was down.
        Assert.Equal("timeout", Field(cut, "hostB", "host-error"));
    }
}
