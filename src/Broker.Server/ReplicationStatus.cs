using Broker.Replication;

namespace Broker.Server;

/// <summary>
/// The pair as one broker sees it: its link, its partner, and how far apart they are. Lag exists only on a
/// live link; "unreplicated" counts the records a master wrote that no partner holds (after a promotion the
/// former master holds everything up to it, so those are not counted).
/// </summary>
public sealed record ReplicationStatus(
    string LinkState,
    string? Partner,
    bool InSync,
    long LastSequence,
    long PartnerSequence,
    long LagRecords,
    long LagBytes,
    long LagMs,
    long Unreplicated,
    long SetAside,
    string? LastError = null,
    DateTimeOffset? LastErrorSince = null)
{
    public static ReplicationStatus Of(BrokerLifecycle broker)
    {
        var last = broker.LastSequence;
        var setAside = broker.RecordsSetAside;
        if (broker.SlaveSide is { } slave)
        {
            var linkState = slave.State switch
            {
                SlaveState.InSync => "in sync",
                SlaveState.Syncing => "catching up",
                SlaveState.MasterFailed => "master failed",
                _ => slave.LastError is null ? "connecting" : "master unreachable",
            };
            var behind = slave.State is SlaveState.InSync or SlaveState.Syncing ? Math.Max(0, slave.MasterLastSequence - last) : 0;
            return new ReplicationStatus(linkState, slave.MasterName ?? slave.MasterUri, slave.State == SlaveState.InSync,
                last, slave.MasterLastSequence, behind, 0, 0, 0, setAside, slave.LastError, slave.LastErrorSince);
        }
        var unreplicated = broker.Status.Role == LifecycleRole.Master ? Math.Max(0, last - broker.ProtectedThrough) : 0;
        if (broker.MasterSide is not { State: not Broker.Replication.LinkState.None } master)
        {
            return new ReplicationStatus("none", null, false, last, 0, 0, 0, 0, unreplicated, setAside, null, null);
        }
        var acked = master.AckedSequence;
        var lag = Math.Max(0, last - acked);
        var lagMs = lag > 0 && master.LastAckAt is { } at ? (long)(DateTimeOffset.UtcNow - at).TotalMilliseconds : 0;
        return new ReplicationStatus(
            master.IsInSync ? "in sync" : "catching up",
            master.SlaveName, master.IsInSync, last, acked, lag, master.LagBytes, lagMs, master.IsInSync ? 0 : unreplicated, setAside, null, null);
    }
}
