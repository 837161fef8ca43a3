namespace Broker.Core;

/// <summary>Bytes of message data a broker holds in memory, against its limit.</summary>
public sealed class MemoryAccount(long limit)
{
    private readonly Lock _lock = new();
    private TaskCompletionSource? _room;
    private long _used;

    public long Limit { get; } = limit;

    public long Used => Interlocked.Read(ref _used);

    public bool IsFull => Used >= Limit;

    /// <summary>Back to nothing held, for a broker that let go of all its messages at once.</summary>
    public void Reset() => Interlocked.Exchange(ref _used, 0);

    public void Add(long bytes) => Interlocked.Add(ref _used, bytes);

    public void Release(long bytes)
    {
        if (Interlocked.Add(ref _used, -bytes) < Limit && Volatile.Read(ref _room) is not null)
        {
            TaskCompletionSource? room;
            lock (_lock)
            {
                (room, _room) = (_room, null);
            }
            room?.TrySetResult();
        }
    }

    /// <summary>Completes when usage is below the limit: non-persistent producers wait here (flow control).</summary>
    public Task WaitForRoomAsync(CancellationToken cancellationToken)
    {
        if (!IsFull)
        {
            return Task.CompletedTask;
        }
        lock (_lock)
        {
            _room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            // Re-check under the lock: a release between the first check and here must not be missed.
            return IsFull ? _room.Task.WaitAsync(cancellationToken) : Task.CompletedTask;
        }
    }
}
