namespace Broker.Core;

/// <summary>A broker's life. Replication adds the slave states; every transition is logged and published.</summary>
public enum BrokerState
{
    Starting,
    Started,
    Stopping,
    Stopped,
}
