namespace Broker.Replication;

/// <summary>
/// A planned switchover that did not complete. With <see cref="LinkLost"/> the slave may have taken over
/// (its answer never came), so the master must not serve again on its own.
/// </summary>
public sealed class HandoverException(string message, bool linkLost) : Exception(message)
{
    public bool LinkLost { get; } = linkLost;
}
