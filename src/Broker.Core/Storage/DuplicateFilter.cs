namespace Broker.Core.Storage;

/// <summary>
/// Drops a resent message the broker already holds: a SEND with <c>producer-id</c> and <c>producer-seq</c> is
/// kept unless that producer's window (<see cref="ProducerWindow"/>) has the number. A number is taken only
/// once the store accepted its message, so a refused SEND (unprotected pair, store full, a full disk) can be
/// retried and is stored then; while one SEND of a number is being stored, a copy of it waits for its outcome.
/// Marks travel in the journal with the messages, so a restart or a failover keeps them. Producers idle
/// longer than the idle limit are forgotten.
/// </summary>
public sealed class DuplicateFilter(TimeSpan idleLimit)
{
    public const string ProducerIdHeader = "producer-id";
    public const string ProducerSequenceHeader = "producer-seq";

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Producer> _producers = new(StringComparer.Ordinal);

    public int Count
    {
        get { lock (_lock) { return _producers.Count; } }
    }

    /// <summary>
    /// Null when the number is new: it is reserved, and the caller ends the reservation with
    /// <see cref="Accepted"/> or <see cref="Refused"/>. Otherwise a copy: the task of the SEND being stored
    /// (completes as it does), or a completed task when the broker already holds it.
    /// </summary>
    public Task<Task>? Admit(string producerId, long producerSequence, long nowMs)
    {
        lock (_lock)
        {
            if (!_producers.TryGetValue(producerId, out var producer))
            {
                _producers[producerId] = producer = new Producer(new ProducerWindow());
            }
            producer.LastSeenMs = nowMs;
            if (producer.Pending.TryGetValue(producerSequence, out var inProgress))
            {
                return inProgress.Task;
            }
            if (producer.Window.Contains(producerSequence))
            {
                return Task.FromResult(Task.CompletedTask);
            }
            producer.Pending[producerSequence] = new TaskCompletionSource<Task>(TaskCreationOptions.RunContinuationsAsynchronously);
            return null;
        }
    }

    /// <summary>
    /// The store took the reserved message (record <paramref name="recordSequence"/>); should it not become
    /// durable after all (<paramref name="durable"/> fails), the number is forgotten so that its retry is stored.
    /// </summary>
    public void Accepted(string producerId, long producerSequence, long recordSequence, Task durable)
    {
        TaskCompletionSource<Task>? waiting;
        lock (_lock)
        {
            if (!_producers.TryGetValue(producerId, out var producer))
            {
                _producers[producerId] = producer = new Producer(new ProducerWindow());
            }
            producer.Pending.Remove(producerSequence, out waiting);
            producer.Window.Add(producerSequence, recordSequence);
        }
        waiting?.TrySetResult(durable);
        if (!durable.IsCompletedSuccessfully)
        {
            durable.ContinueWith(t =>
            {
                if (!t.IsCompletedSuccessfully)
                {
                    Forget(producerId, producerSequence);
                }
            }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    /// <summary>The store refused the reserved message: the number stays free, and a copy waiting for it fails the same way.</summary>
    public void Refused(string producerId, long producerSequence, Exception error)
    {
        TaskCompletionSource<Task>? waiting = null;
        lock (_lock)
        {
            _producers.GetValueOrDefault(producerId)?.Pending.Remove(producerSequence, out waiting);
        }
        waiting?.TrySetException(error);
    }

    /// <summary>Takes a producer's window as recovery folded it from the journal.</summary>
    public void Adopt(string producerId, ProducerWindow window, long nowMs)
    {
        lock (_lock)
        {
            _producers[producerId] = new Producer(window) { LastSeenMs = nowMs };
        }
    }

    public void Clear()
    {
        List<TaskCompletionSource<Task>> pending;
        lock (_lock)
        {
            pending = [.. _producers.Values.SelectMany(p => p.Pending.Values)];
            _producers.Clear();
        }
        foreach (var waiting in pending)
        {
            waiting.TrySetException(new BrokerException("the broker stopped serving before the message was stored"));
        }
    }

    public void ForgetIdle(long nowMs)
    {
        lock (_lock)
        {
            foreach (var (id, producer) in _producers.ToList())
            {
                if (producer.Pending.Count == 0 && nowMs - producer.LastSeenMs > idleLimit.TotalMilliseconds)
                {
                    _producers.Remove(id);
                }
            }
        }
    }

    private void Forget(string producerId, long producerSequence)
    {
        lock (_lock)
        {
            _producers.GetValueOrDefault(producerId)?.Window.Remove(producerSequence);
        }
    }

    private sealed class Producer(ProducerWindow window)
    {
        public ProducerWindow Window { get; } = window;

        public Dictionary<long, TaskCompletionSource<Task>> Pending { get; } = [];

        public long LastSeenMs { get; set; }
    }
}
