using Broker.Core.Events;

namespace BrokerConsole.Components.FleetView;

/// <summary>How a badge reads at a glance: green all is well, amber look soon, red act now, blue a role, grey idle.</summary>
public enum Tone
{
    Good,
    Warning,
    Danger,
    Info,
    Neutral,
}

/// <summary>The tone of each role, state and host state the overview and the hosts page draw as badges.</summary>
public static class Tones
{
    public static Tone OfState(string state) => state switch
    {
        "master protected" or "slave in sync" or "master holding lock" => Tone.Good,
        "master unprotected" or "waiting for slave" or "slave catching up" or "waiting for master" or "waiting for lock"
            or "promoting" or "handing over" or "recovering" or "starting" => Tone.Warning,
        "failed" or "fenced" => Tone.Danger,
        _ => Tone.Neutral,
    };

    public static Tone OfRole(string role) => role switch
    {
        "master" => Tone.Info,
        _ => Tone.Neutral,
    };

    /// <summary>Losses red, what restores protection green, the rest neutral.</summary>
    public static Tone OfEvent(BrokerEventKind kind) => kind switch
    {
        BrokerEventKind.MasterFailed or BrokerEventKind.Unprotected
            or BrokerEventKind.SlaveDetached or BrokerEventKind.RecordsSetAside
            or BrokerEventKind.SlowConsumerDropped => Tone.Danger,
        BrokerEventKind.Promoted or BrokerEventKind.Switchover
            or BrokerEventKind.Demoted or BrokerEventKind.BrokerStopped => Tone.Warning,
        BrokerEventKind.SlaveInSync or BrokerEventKind.BrokerStarted => Tone.Good,
        _ => Tone.Neutral,
    };

    public static Tone OfHost(string hostState) => hostState switch
    {
        "connected" => Tone.Good,
        _ => Tone.Danger,
    };

    /// <summary>Background and text colours of a badge, readable in light and dark themes alike (a tinted fill with dark text).</summary>
    public static (string Background, string Color) Colors(Tone tone) => tone switch
    {
        Tone.Good => ("#dff6dd", "#0e5c0e"),
        Tone.Warning => ("#fff4ce", "#6b4a00"),
        Tone.Danger => ("#fde7e9", "#a4262c"),
        Tone.Info => ("#deecf9", "#004578"),
        _ => ("#edebe9", "#323130"),
    };
}
