namespace Broker.Server;

/// <summary>How a broker becomes master (<c>Brokers:&lt;name&gt;:HaMode</c>).</summary>
public enum HaMode
{
    /// <summary>Pure master/slave: a slave follows its master over the replication link and takes over when it is lost.</summary>
    Replicated,
}

/// <summary>The key that chooses a broker's <see cref="Server.HaMode"/>, bound from <c>Brokers:&lt;name&gt;</c> beside its other options.</summary>
public sealed class HaSettings
{
    public HaMode HaMode { get; set; } = HaMode.Replicated;
}
