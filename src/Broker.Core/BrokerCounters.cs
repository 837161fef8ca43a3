namespace Broker.Core;

/// <summary>Monotonic traffic counters of one broker, read by metrics and the console.</summary>
public sealed class BrokerCounters
{
    private long _messagesIn;
    private long _messagesOut;
    private long _bytesIn;
    private long _bytesOut;
    private long _connections;
    private long _connectionsTotal;
    private long _connectionsRefused;
    private long _messagesScheduled;
    private long _scheduledDeliveries;
    private long _scheduledLate;

    public long MessagesIn => Interlocked.Read(ref _messagesIn);

    public long MessagesOut => Interlocked.Read(ref _messagesOut);

    public long BytesIn => Interlocked.Read(ref _bytesIn);

    public long BytesOut => Interlocked.Read(ref _bytesOut);

    public long Connections => Interlocked.Read(ref _connections);

    public long ConnectionsTotal => Interlocked.Read(ref _connectionsTotal);

    /// <summary>Connections turned away at the door: beyond <c>MaxConnections</c>, or one address's bound on connections not yet logged in.</summary>
    public long ConnectionsRefused => Interlocked.Read(ref _connectionsRefused);

    /// <summary>Messages accepted for scheduled delivery (each counts in <see cref="MessagesIn"/> once per delivery).</summary>
    public long MessagesScheduled => Interlocked.Read(ref _messagesScheduled);

    /// <summary>Deliveries the scheduler made.</summary>
    public long ScheduledDeliveries => Interlocked.Read(ref _scheduledDeliveries);

    /// <summary>Scheduled deliveries made more than <see cref="ScheduledLateMs"/> after their due time.</summary>
    public long ScheduledLate => Interlocked.Read(ref _scheduledLate);

    /// <summary>The precision the scheduler aims for (issue 13: every message within 50 ms of its time).</summary>
    public const long ScheduledLateMs = 50;

    public void MessageScheduled() => Interlocked.Increment(ref _messagesScheduled);

    /// <summary>Counts one scheduled delivery, made <paramref name="latenessMs"/> after its due time.</summary>
    public void ScheduledDelivered(long latenessMs)
    {
        Interlocked.Increment(ref _scheduledDeliveries);
        if (latenessMs > ScheduledLateMs)
        {
            Interlocked.Increment(ref _scheduledLate);
        }
    }

    public void MessageIn() => Interlocked.Increment(ref _messagesIn);

    public void MessageOut() => Interlocked.Increment(ref _messagesOut);

    public void AddBytesIn(long bytes) => Interlocked.Add(ref _bytesIn, bytes);

    public void AddBytesOut(long bytes) => Interlocked.Add(ref _bytesOut, bytes);

    internal bool TryOpenConnection(int max)
    {
        if (Interlocked.Increment(ref _connections) > max)
        {
            Interlocked.Decrement(ref _connections);
            Interlocked.Increment(ref _connectionsRefused);
            return false;
        }
        Interlocked.Increment(ref _connectionsTotal);
        return true;
    }

    internal void CloseConnection() => Interlocked.Decrement(ref _connections);

    /// <summary>Counts a connection a transport refused for a reason of its own.</summary>
    public void ConnectionRefused() => Interlocked.Increment(ref _connectionsRefused);
}
