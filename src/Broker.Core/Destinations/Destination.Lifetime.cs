namespace Broker.Core.Destinations;

/// <summary>
/// Whether the destination may leave the broker. Every operation that can put something in it (a send, a
/// subscription, a commit) holds it with <see cref="TryEnter"/>/<see cref="Exit"/>; removal first retires it,
/// which succeeds only while nobody holds it, and from then on <see cref="TryEnter"/> fails, so the caller looks
/// the name up again and gets a new destination. So a message or a consumer never lands in a removed one.
/// </summary>
internal abstract partial class Destination
{
    private const int Retired = int.MinValue;

    /// <summary>Operations inside now, or <see cref="Retired"/> once the destination is being removed.</summary>
    private int _users;

    /// <summary>Set by every operation, taken by the sweep: use between two sweeps restarts the idle time.</summary>
    private int _used;

    /// <summary>When a sweep last saw the destination in use (0: no sweep has seen it yet); the sweep's alone.</summary>
    private long _lastActiveMs;

    /// <summary>Holds the destination for one operation; false when it was removed (look the name up again).</summary>
    public bool TryEnter()
    {
        var users = Volatile.Read(ref _users);
        while (users >= 0)
        {
            var seen = Interlocked.CompareExchange(ref _users, users + 1, users);
            if (seen == users)
            {
                return true;
            }
            users = seen;
        }
        return false;
    }

    public void Exit()
    {
        Volatile.Write(ref _used, 1);
        Interlocked.Decrement(ref _users);
    }

    /// <summary>
    /// For the sweep: true when nothing has used or held the destination since a sweep at least
    /// <paramref name="timeoutMs"/> ago. A destination first seen now (just created, or recovered) starts its time now.
    /// </summary>
    public bool IsInactiveFor(long nowMs, long timeoutMs)
    {
        if (Interlocked.Exchange(ref _used, 0) != 0 || Volatile.Read(ref _users) != 0 || _lastActiveMs == 0 || !HoldsNothing())
        {
            _lastActiveMs = nowMs;
            return false;
        }
        return nowMs - _lastActiveMs >= timeoutMs;
    }

    /// <summary>
    /// Retires the destination when nobody holds it and it still holds nothing; false (and nothing changed) when
    /// an operation is inside or has been since <see cref="IsInactiveFor"/>: the sweep backs off and tries later.
    /// </summary>
    public bool TryRetire()
    {
        if (Interlocked.CompareExchange(ref _users, Retired, 0) != 0)
        {
            return false;
        }
        // Nobody can enter now, and whoever was inside has left: what they did is visible under the destination's lock.
        if (Volatile.Read(ref _used) != 0 || !HoldsNothing())
        {
            Volatile.Write(ref _users, 0);
            return false;
        }
        return true;
    }

    /// <summary>
    /// Retires the destination for an operator's delete, waiting for the operations inside (a send or a
    /// subscription takes microseconds) instead of backing off. The caller is the only one retiring it.
    /// </summary>
    public void Retire()
    {
        var spin = new SpinWait();
        while (Interlocked.CompareExchange(ref _users, Retired, 0) != 0)
        {
            spin.SpinOnce();
        }
    }

    /// <summary>Undoes a retirement whose removal could not be journaled: the destination stays.</summary>
    public void Restore() => Volatile.Write(ref _users, 0);

    /// <summary>No consumer, no message (waiting, paged out or in flight), no subscription of any kind.</summary>
    protected abstract bool HoldsNothing();
}
