namespace Broker.Server;

/// <summary>How a broker becomes master (<c>Brokers:&lt;name&gt;:HaMode</c>).</summary>
public enum HaMode
{
    /// <summary>Pure master/slave: a slave follows its master over the replication link and takes over when it is lost.</summary>
    Replicated,
}
