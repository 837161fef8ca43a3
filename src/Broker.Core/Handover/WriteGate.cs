namespace Broker.Core.Handover;

/// <summary>
/// Lets a broker stop taking client writes for a planned switchover: once <see cref="CloseAsync"/> returns,
/// no protocol session is handling a frame and none starts until <see cref="Open"/>. A session brackets each
/// batch of frames with <see cref="TryEnter"/> and <see cref="Exit"/>; open, that costs two interlocked adds.
/// </summary>
public sealed class WriteGate
{
    private readonly Lock _lock = new();
    private int _active;
    private TaskCompletionSource? _closed;
    private TaskCompletionSource? _drained;

    public bool IsClosed => Volatile.Read(ref _closed) is not null;

    /// <summary>Completes when the gate opens again (at once while it is open).</summary>
    public Task WhenOpen => Volatile.Read(ref _closed)?.Task ?? Task.CompletedTask;

    /// <summary>True when the caller may handle frames now; it must call <see cref="Exit"/> afterwards.</summary>
    public bool TryEnter()
    {
        Interlocked.Increment(ref _active);
        if (Volatile.Read(ref _closed) is null)
        {
            return true;
        }
        Exit();
        return false;
    }

    public void Exit()
    {
        if (Interlocked.Decrement(ref _active) == 0 && Volatile.Read(ref _drained) is { } drained)
        {
            drained.TrySetResult();
        }
    }

    /// <summary>Closes the gate and waits until every session that was inside has left.</summary>
    public Task CloseAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource drained;
        lock (_lock)
        {
            _closed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            drained = _drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        // Store (closed) then load (active), against TryEnter's increment then load: a full fence on each side.
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _active) == 0)
        {
            drained.TrySetResult();
        }
        return drained.Task.WaitAsync(cancellationToken);
    }

    public void Open()
    {
        TaskCompletionSource? closed;
        lock (_lock)
        {
            (closed, _closed, _drained) = (_closed, null, null);
        }
        closed?.TrySetResult();
    }
}
