using System.Collections.Concurrent;

namespace BrokerConsole.Api;

/// <summary>
/// The long operations under way in this process (a purge, a move), one per target at a time: a second start of the
/// same operation on the same queue or message, from another page, tab or the API, is refused with a
/// <c>409</c> that says how far the first one is. Pages follow <see cref="Changed"/> to show the progress.
/// </summary>
public sealed class RunningOperations
{
    private readonly ConcurrentDictionary<string, RunningOperation> _running = new();

    /// <summary>Raised when an operation starts, reports progress or ends; from the thread doing the work.</summary>
    public event Action? Changed;

    public static string PurgeKey(string broker, string queue) => $"purge {broker}/queue/{queue}";

    public static string MoveKey(string broker, string queue, string messageId) => $"move {broker}/queue/{queue}/{messageId}";

    /// <summary>
    /// Claims <paramref name="key"/> for an operation over <paramref name="total"/> items (0 when it cannot count them);
    /// dispose the answer when it ends. Throws a conflict while another holds the key.
    /// </summary>
    public RunningOperation Start(string key, string what, long total)
    {
        var operation = new RunningOperation(this, key, what, total);
        if (!_running.TryAdd(key, operation))
        {
            var other = _running.GetValueOrDefault(key);
            throw OperationException.Conflict($"{what} is already running{(other is null ? "" : $" ({other.Progress.Describe()})")}; try again when it is done");
        }
        Raise();
        return operation;
    }

    /// <summary>The operation holding <paramref name="key"/>, or null.</summary>
    public RunningOperation? Find(string key) => _running.GetValueOrDefault(key);

    internal void End(RunningOperation operation)
    {
        if (_running.TryRemove(new KeyValuePair<string, RunningOperation>(operation.Key, operation)))
        {
            Raise();
        }
    }

    internal void Raise() => Changed?.Invoke();
}

/// <summary>One operation under way; <see cref="Dispose"/> ends it.</summary>
public sealed class RunningOperation(RunningOperations owner, string key, string what, long total) : IDisposable
{
    private long _done;

    public string Key { get; } = key;

    /// <summary>What runs, for a sentence: <c>a purge of queue 'q' on b1</c>.</summary>
    public string What { get; } = what;

    public OperationProgress Progress => new(Interlocked.Read(ref _done), total);

    public void Report(long done)
    {
        Interlocked.Exchange(ref _done, done);
        owner.Raise();
    }

    public void Dispose() => owner.End(this);
}

/// <summary>How far an operation is: <see cref="Done"/> of <see cref="Total"/> items (a total of 0: not counted).</summary>
public readonly record struct OperationProgress(long Done, long Total)
{
    /// <summary><c>12,000 of 50,000</c>, or <c>12,000 so far</c> without a total.</summary>
    public string Describe() => Total > 0 ? $"{Done:N0} of {Total:N0}" : $"{Done:N0} so far";

    /// <summary>0 to 1 for a progress bar; 0 without a total.</summary>
    public double Fraction => Total > 0 ? Math.Clamp((double)Done / Total, 0, 1) : 0;
}
