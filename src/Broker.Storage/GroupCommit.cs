using Broker.Core.Storage;

namespace Broker.Storage;

/// <summary>
/// The bookkeeping of group commit, shared by the journal and the PostgreSQL store: the batch that completes with
/// the next flush, the one being flushed, how far the store is durable, when the flusher must wake, and the failure
/// that ends it all. The store keeps what it writes; this keeps who waits for it.
/// A record that rides the next commit (<see cref="StoreRecord.RidesNextCommit"/>) wakes no flush of its own: it
/// goes with the next record that must be durable, with a <see cref="WhenDurable"/> that asks for it, or after
/// the delay. Not thread-safe: every call except the waits is made under the store's own lock, which also guards
/// what the store has pending.
/// </summary>
public sealed class GroupCommit(TimeSpan rideDelay, bool asyncFlusher = false)
{
    // The journal's flusher blocks on a thread of its own: an event, since SemaphoreSlim.Wait and Task.Wait spin and
    // yield before blocking, and a flusher that waits once per message then spent more CPU yielding than writing.
    // The PostgreSQL store's flusher awaits instead.
    private readonly AutoResetEvent? _event = asyncFlusher ? null : new(false);
    private readonly SemaphoreSlim? _semaphore = asyncFlusher ? new(0) : null;
    private TaskCompletionSource _batch = NewBatch();
    private TaskCompletionSource? _inFlight;
    private long _inFlightLast;
    private long _durableSequence;
    private bool _flushDue;
    private long _rideDeadline;
    // 1 while the semaphore is released and not yet taken, so a wait is signalled once, not once per record.
    private int _signalled;

    /// <summary>Every record up to here is durable; readable without the lock.</summary>
    public long DurableSequence => Interlocked.Read(ref _durableSequence);

    public Exception? Failure { get; private set; }

    /// <summary>Whether a batch is being flushed now.</summary>
    public bool Flushing => _inFlight is not null;

    /// <summary>Sets where the store stands after a replay or a reset.</summary>
    public void Reset(long durableSequence)
    {
        Interlocked.Exchange(ref _durableSequence, durableSequence);
        _flushDue = false;
        _rideDeadline = 0;
    }

    /// <summary>A record joined the pending batch: wakes the flusher as it needs; the task completes with its flush.</summary>
    public Task Placed(StoreRecord record)
    {
        if (!record.RidesNextCommit)
        {
            _flushDue = true;
            Wake();
        }
        else if (_rideDeadline == 0)
        {
            // Once per batch: the flusher learns the deadline it must wake up by.
            _rideDeadline = Environment.TickCount64 + (long)rideDelay.TotalMilliseconds;
            Wake();
        }
        return _batch.Task;
    }

    /// <summary>Completes when every record up to <paramref name="sequence"/> is durable; asks for a flush when needed.</summary>
    public Task WhenDurable(long sequence)
    {
        if (sequence <= _durableSequence || sequence <= 0)
        {
            return Failure is null ? Task.CompletedTask : Task.FromException(Failure);
        }
        if (_inFlight is { } inFlight && sequence <= _inFlightLast)
        {
            return inFlight.Task;
        }
        // Someone waits: records that would ride the next commit are flushed now.
        _flushDue = true;
        Wake();
        return _batch.Task;
    }

    /// <summary>
    /// Decides whether the flusher flushes now: the batch it then completes (the store swaps its pending records
    /// out under the same lock) and the last sequence in it; or null and how long to wait (0: stopped with nothing
    /// pending, so the flusher ends).
    /// </summary>
    public (TaskCompletionSource Batch, long Last)? Take(bool anythingPending, long lastSequence, bool stopping, out int waitMs)
    {
        waitMs = Failure is not null ? 0
            : !anythingPending ? (stopping ? 0 : Timeout.Infinite)
            : _flushDue || stopping ? 0
            : (int)Math.Max(0, _rideDeadline - Environment.TickCount64);
        if (Failure is not null || !anythingPending || waitMs > 0)
        {
            return null;
        }
        _flushDue = false;
        _rideDeadline = 0;
        (_inFlight, _batch) = (_batch, NewBatch());
        _inFlightLast = lastSequence;
        return (_inFlight, lastSequence);
    }

    /// <summary>The flusher waits, outside the store's lock, until woken or <paramref name="waitMs"/> passes.</summary>
    public void Wait(int waitMs, CancellationToken stopping)
    {
        // Stopping: the next Take flushes what is pending, so nothing appended before disposal is lost.
        if (WaitHandle.WaitAny([_event!, stopping.WaitHandle], waitMs) == 0)
        {
            Volatile.Write(ref _signalled, 0);
        }
    }

    /// <inheritdoc cref="Wait"/>
    public async Task WaitAsync(int waitMs, CancellationToken stopping)
    {
        try
        {
            if (await _semaphore!.WaitAsync(waitMs, stopping))
            {
                Volatile.Write(ref _signalled, 0);
            }
        }
        catch (OperationCanceledException)
        {
            // As in Wait.
        }
    }

    /// <summary>The batch taken last is durable; under the lock. Complete it after leaving the lock.</summary>
    public void Flushed(long last)
    {
        Interlocked.Exchange(ref _durableSequence, last);
        _inFlight = null;
    }

    /// <summary>
    /// Nothing after a failed flush can be trusted to be durable: the batch in flight, the next one and every later
    /// wait fail with <paramref name="failure"/>. Under the lock; returns the tasks to fail after leaving it.
    /// </summary>
    public (TaskCompletionSource? InFlight, TaskCompletionSource Next) Fail(Exception failure)
    {
        Failure = failure;
        var inFlight = _inFlight;
        _inFlight = null;
        return (inFlight, _batch);
    }

    private void Wake()
    {
        if (Interlocked.Exchange(ref _signalled, 1) == 0)
        {
            if (_event is not null)
            {
                _event.Set();
            }
            else
            {
                _semaphore!.Release();
            }
        }
    }

    private static TaskCompletionSource NewBatch() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
