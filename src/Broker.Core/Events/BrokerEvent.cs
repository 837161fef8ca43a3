namespace Broker.Core.Events;

/// <summary>Things an operator wants on the timeline. Replication adds its kinds here as it lands.</summary>
public enum BrokerEventKind
{
    BrokerStarting,
    BrokerStarted,
    BrokerStopped,
    ConnectorStarted,
    ConnectorStopped,
    DestinationCreated,
    DestinationDeleted,
    SlowConsumerDropped,
    SlaveAttached,
    SlaveInSync,
    SlaveDetached,
    ResyncStarted,
    ResyncFinished,
    MasterFailed,
    Promoted,
    Demoted,
    Switchover,
    Unprotected,
    RecordsSetAside,

    /// <summary>One per sweep that removed inactive destinations, with how many (never one per destination).</summary>
    InactiveDestinationsRemoved,

    /// <summary>An operator cancelled a scheduled job.</summary>
    ScheduledJobCancelled,
}

/// <summary>One entry of the event timeline (<c>GET /api/events</c>, the console, the monitor hub).</summary>
public sealed record BrokerEvent(DateTimeOffset Time, string Broker, BrokerEventKind Kind, string Detail);
