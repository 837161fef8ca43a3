using BrokerConsole.Components.Pages;
using BrokerConsole.Remote;

namespace BrokerConsole.Components.FleetView;

/// <summary>The words and tones of a pair's card: whether it is protected, its lag, its last failover.</summary>
public static class PairText
{
    /// <summary>Protected or not, said of the whole group: the serving master's state (it comes first in <see cref="PairView.Members"/>).</summary>
    public static (string Text, Tone Tone) Protection(PairView pair)
    {
        var serving = pair.Members[0];
        var masterUp = serving.Role == "master" && serving.HostState == "connected";
        return (pair.Kind, masterUp, serving.State) switch
        {
            (_, true, "master protected") => ("protected", Tone.Good),
            (_, true, "master holding lock") => ("protected by the shared store", Tone.Good),
            ("single", true, _) => ("no slave", Tone.Neutral),
            ("pair", true, _) => ("unprotected", Tone.Danger),
            (_, false, _) when serving.HostState != "connected" => ($"host {serving.Host} {serving.HostState}", Tone.Danger),
            _ => ("no master serving", Tone.Danger),
        };
    }

    public static string Lag(PairView pair) => FleetAlerts.Lag(pair);

    public static string LastFailover(PairView pair) => pair.LastFailover is { } f
        ? $"{Format.Time(f.Time)}: {f.Kind} of {f.Broker} on {f.Host}{(string.IsNullOrEmpty(f.Detail) ? "" : $" ({f.Detail})")}"
        : "none seen";

    /// <summary>"2 pairs and 1 single broker on 3 hosts, 1 not connected".</summary>
    public static string Summary(FleetSnapshot fleet)
    {
        var pairs = fleet.Pairs.Count(p => p.Kind == "pair");
        var singles = fleet.Pairs.Count - pairs;
        var down = fleet.Hosts.Count(h => h.State != HostState.Connected);
        return $"{Count(pairs, "pair", "pairs")} and {Count(singles, "single broker", "single brokers")} on {Count(fleet.Hosts.Count, "host", "hosts")}"
            + (down > 0 ? $", {down} not connected" : "");
    }

    private static string Count(int n, string one, string many) => $"{n} {(n == 1 ? one : many)}";
}
