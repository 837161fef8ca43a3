using System.Diagnostics;

namespace Broker.Core.Scheduling;

/// <summary>
/// A one-shot timer on a thread of its own, for the scheduler on the system clock. A thread-pool timer's callback
/// waits in the pool's queue behind the sessions' work: under a burst of SENDs that added tens of milliseconds to a due
/// message. Here the thread sleeps until the armed moment (or a <see cref="Change"/>) and runs the callback itself.
/// </summary>
internal sealed class DedicatedTimer : ITimer
{
    private readonly TimerCallback _callback;
    private readonly object? _state;
    private readonly AutoResetEvent _changed = new(false);
    private readonly Thread _thread;
    // Stopwatch ticks of the armed moment; long.MaxValue when disarmed.
    private long _dueAt = long.MaxValue;
    private volatile bool _disposed;

    public DedicatedTimer(string name, TimerCallback callback, object? state)
    {
        _callback = callback;
        _state = state;
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    public bool Change(TimeSpan dueTime, TimeSpan period)
    {
        // One-shot only (the scheduler re-arms after each tick); the period is ignored.
        Volatile.Write(ref _dueAt, dueTime == Timeout.InfiniteTimeSpan
            ? long.MaxValue
            : Stopwatch.GetTimestamp() + (long)(dueTime.TotalSeconds * Stopwatch.Frequency));
        _changed.Set();
        return !_disposed;
    }

    public void Dispose()
    {
        _disposed = true;
        _changed.Set();
        if (Thread.CurrentThread != _thread)
        {
            _thread.Join();
        }
        _changed.Dispose();
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private void Run()
    {
        while (!_disposed)
        {
            var due = Volatile.Read(ref _dueAt);
            if (due == long.MaxValue)
            {
                _changed.WaitOne();
                continue;
            }
            var wait = due - Stopwatch.GetTimestamp();
            if (wait > 0)
            {
                // Rounded up: waking a millisecond early would only loop; the callback checks the clock anyway.
                _changed.WaitOne((int)Math.Min(int.MaxValue, (wait * 1000 + Stopwatch.Frequency - 1) / Stopwatch.Frequency));
                continue;
            }
            if (Interlocked.CompareExchange(ref _dueAt, long.MaxValue, due) == due)
            {
                _callback(_state);
            }
        }
    }
}
