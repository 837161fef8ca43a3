namespace Broker.Core.Scheduling;

/// <summary>
/// The broker's scheduled jobs: one timer over a priority queue by due time, never a timer per job. The timer is
/// armed for the earliest due job; when it fires, every job due by then is delivered in due order and the timer is
/// armed again for the next. Each delivery is made by <see cref="Fire"/> (the broker's: journal the message with the
/// job's advance, then enqueue), under this scheduler's lock, so a cancel and a delivery of one job never cross.
/// </summary>
internal sealed class MessageScheduler(TimeProvider clock, string name = "scheduler")
{
    /// <summary>How long a job whose delivery failed (store full, destination refused) waits before it is tried again.</summary>
    public static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Job> _jobs = new(StringComparer.Ordinal);
    // New jobs wait here, outside the lock, until the next tick, list or cancel takes them in: a burst of scheduled SENDs
    // then never holds the lock the deliveries need (under a 20,000-SEND burst, deliveries waited up to half a second).
    private readonly System.Collections.Concurrent.ConcurrentQueue<Job> _added = new();
    // Entries of cancelled or moved jobs stay until they reach the top, where their version no longer matches.
    private readonly PriorityQueue<(Job Job, int Version), (long DueMs, long Order)> _due = new();
    private readonly Lock _tickLock = new();
    private int _tickRequested;
    private ITimer? _timer;
    private long _armedForMs = long.MaxValue;
    private long _order;

    /// <summary>
    /// Delivers one due job (under the scheduler's lock): returns the job's next position, null when it is done, or
    /// throws when it could not deliver (the job then waits <see cref="RetryDelay"/>). <c>false</c> for "not now"
    /// (the broker is quiescing): the job stays due.
    /// </summary>
    public Func<JobDefinition, JobPosition, long, (bool Delivered, JobPosition? Next)>? Fire { get; set; }

    /// <summary>Called with a delivery's failure (for the log).</summary>
    public Action<JobDefinition, Exception>? Failed { get; set; }

    public int Count
    {
        get { lock (_lock) { TakeAddedLocked(); return _jobs.Count; } }
    }

    /// <summary>Starts the timer: due jobs (those recovered overdue included) are delivered from now on.</summary>
    public void Start()
    {
        lock (_lock)
        {
            // On the system clock a thread of its own delivers (see DedicatedTimer); any other clock's timers (tests) are its own.
            TakeAddedLocked();
            _timer ??= clock == TimeProvider.System
                ? new DedicatedTimer(name, _ => Tick(), null)
                : clock.CreateTimer(_ => Tick(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _armedForMs = long.MaxValue;
            ArmLocked(clock.GetUtcNow().ToUnixTimeMilliseconds());
        }
    }

    public async Task StopAsync()
    {
        ITimer? timer;
        lock (_lock)
        {
            (timer, _timer) = (_timer, null);
            _armedForMs = long.MaxValue;
        }
        if (timer is not null)
        {
            await timer.DisposeAsync();
        }
        // A tick under way finishes its current delivery; none starts after this.
        WaitIdle();
    }

    /// <summary>Returns once no delivery is being made (a switchover's quiesce: none starts once the broker is quiesced).</summary>
    public void WaitIdle()
    {
        lock (_lock)
        {
        }
    }

    /// <summary>
    /// Adds a job (new, recovered or committed). <paramref name="journal"/> runs first, so the job's record precedes any
    /// record of its deliveries or cancel: neither can happen before the job is taken in, after this.
    /// </summary>
    public void Add(JobDefinition definition, JobPosition position, Action? journal = null)
    {
        journal?.Invoke();
        _added.Enqueue(new Job(definition, position));
        // Only a job due before the armed moment needs the lock now: the timer must be moved forward.
        if (position.NextDueMs < Volatile.Read(ref _armedForMs))
        {
            lock (_lock)
            {
                TakeAddedLocked();
                ArmLocked(clock.GetUtcNow().ToUnixTimeMilliseconds());
            }
        }
    }

    private void TakeAddedLocked()
    {
        while (_added.TryDequeue(out var job))
        {
            if (_jobs.TryAdd(job.Definition.JobId, job))
            {
                Enqueue(job);
            }
        }
    }

    /// <summary>Removes a job; <paramref name="journal"/> runs under the lock before it goes. False when no such job is scheduled.</summary>
    public bool Remove(string jobId, Action? journal = null)
    {
        lock (_lock)
        {
            TakeAddedLocked();
            if (!_jobs.TryGetValue(jobId, out var job))
            {
                return false;
            }
            journal?.Invoke();
            _jobs.Remove(jobId);
            job.Version++;
            return true;
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            _added.Clear();
            _jobs.Clear();
            _due.Clear();
            _armedForMs = long.MaxValue;
        }
    }

    public IReadOnlyList<(JobDefinition Definition, JobPosition Position)> Snapshot()
    {
        lock (_lock)
        {
            TakeAddedLocked();
            return [.. _jobs.Values.Select(j => (j.Definition, j.Position)).OrderBy(j => j.Position.NextDueMs)];
        }
    }

    public (JobDefinition Definition, JobPosition Position)? Find(string jobId)
    {
        lock (_lock)
        {
            TakeAddedLocked();
            return _jobs.TryGetValue(jobId, out var job) ? (job.Definition, job.Position) : null;
        }
    }

    /// <summary>Delivers every job due by now, in due order, and arms the timer for the next (the timer's callback; tests call it with a hand-moved clock).</summary>
    public void Tick()
    {
        // One tick at a time. A tick asked for while another runs is not lost: the running one, or this caller once
        // the lock is free, sees the request and looks at the queue again.
        Interlocked.Exchange(ref _tickRequested, 1);
        while (Volatile.Read(ref _tickRequested) == 1 && _tickLock.TryEnter())
        {
            try
            {
                Interlocked.Exchange(ref _tickRequested, 0);
                while (TryFireOne())
                {
                }
            }
            finally
            {
                _tickLock.Exit();
            }
        }
    }

    private bool TryFireOne()
    {
        lock (_lock)
        {
            TakeAddedLocked();
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            if (Fire is not { } fire)
            {
                return false;
            }
            if (!TryPeekLive(out var job) || job.DueMs > now)
            {
                Interlocked.Exchange(ref _armedForMs, long.MaxValue);
                ArmLocked(now);
                // A job added since TakeAddedLocked that read the old armed moment skipped the lock: look again. (Both
                // sides write, with a full fence, then read the other's: one of them sees the other.)
                return !_added.IsEmpty;
            }
            _due.Dequeue();
            (bool Delivered, JobPosition? Next) outcome;
            try
            {
                outcome = fire(job.Definition, job.Position, now);
            }
            catch (Exception e)
            {
                Failed?.Invoke(job.Definition, e);
                // In memory only: the journal still says it is due, which a restart will find.
                job.RetryAtMs = now + (long)RetryDelay.TotalMilliseconds;
                Enqueue(job);
                return true;
            }
            if (!outcome.Delivered)
            {
                // Not now (a switchover is fixing the store's last record): look again shortly.
                job.RetryAtMs = now + 100;
                Enqueue(job);
                _armedForMs = long.MaxValue;
                ArmLocked(now);
                return false;
            }
            job.RetryAtMs = 0;
            if (outcome.Next is { } next)
            {
                job.Position = next;
                Enqueue(job);
            }
            else
            {
                _jobs.Remove(job.Definition.JobId);
                job.Version++;
            }
            return true;
        }
    }

    private bool TryPeekLive(out Job job)
    {
        while (_due.TryPeek(out var entry, out _))
        {
            if (entry.Job.Version == entry.Version && _jobs.ContainsKey(entry.Job.Definition.JobId))
            {
                job = entry.Job;
                return true;
            }
            _due.Dequeue();
        }
        job = null!;
        return false;
    }

    private void Enqueue(Job job)
    {
        job.Version++;
        _due.Enqueue((job, job.Version), (job.DueMs, _order++));
    }

    /// <summary>Arms the timer for the earliest live job; under the lock.</summary>
    private void ArmLocked(long nowMs)
    {
        if (_timer is null || !TryPeekLive(out var job))
        {
            return;
        }
        var due = job.DueMs;
        if (due >= _armedForMs)
        {
            return;
        }
        Interlocked.Exchange(ref _armedForMs, due);
        _timer.Change(TimeSpan.FromMilliseconds(Math.Max(0, due - nowMs)), Timeout.InfiniteTimeSpan);
    }

    private sealed class Job(JobDefinition definition, JobPosition position)
    {
        public JobDefinition Definition { get; } = definition;

        public JobPosition Position { get; set; } = position;

        /// <summary>Set while a failed delivery waits to be tried again; the position (and the journal) still say when it was due.</summary>
        public long RetryAtMs { get; set; }

        public long DueMs => Math.Max(Position.NextDueMs, RetryAtMs);

        public int Version { get; set; }
    }
}
