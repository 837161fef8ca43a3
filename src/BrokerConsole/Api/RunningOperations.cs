using System.Collections.Concurrent;

namespace BrokerConsole.Api;

/// <summary>
/// The long operations under way in this process (a purge, a move, an operator action such as a switchover), one per
/// target at a time: a second start on the same queue, message or broker, from another page, tab or the API, is
/// refused with a <c>409</c> that says how far the first one is. Pages follow <see cref="Changed"/> to show the progress.
/// </summary>
public sealed class RunningOperations
{
    private readonly ConcurrentDictionary<string, RunningOperation> _running = new();

    /// <summary>Raised when an operation starts, reports progress or ends; from the thread doing the work.</summary>
    public event Action? Changed;

    public static string PurgeKey(string broker, string queue) => $"purge {broker}/queue/{queue}";

    public static string MoveKey(string broker, string queue, string messageId) => $"move {broker}/queue/{queue}/{messageId}";

    /// <summary>A broker's operator action (promote, switchover, stop, start): one at a time, as its lifecycle allows.</summary>
    public static string ActionKey(string broker) => $"action {broker}";

    /// <summary>
    /// Claims <paramref name="key"/> for an operation over <paramref name="total"/> items (0 when it cannot count them);
    /// dispose the answer when it ends. Throws a conflict while another holds the key.
    /// </summary>
    public RunningOperation Start(string key, string what, long total)
    {
        var operation = new RunningOperation(this, key, what, total);
        if (!_running.TryAdd(key, operation))
        {
            // The one under way says what runs: a stop asked during a switchover is refused by the switchover.
            var other = _running.GetValueOrDefault(key);
            var counted = other?.Progress is { } p && (p.Total > 0 || p.Done > 0) ? $" ({p.Describe()})" : "";
            throw OperationException.Conflict($"{other?.What ?? what} is already running{counted}; try again when it is done");
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
    /// <summary><c>12,000 of 50,000</c>; without a total <c>12,000 so far</c>, or <c>running</c> before any.</summary>
    public string Describe() => (Total, Done) switch
    {
        ( > 0, _) => $"{Done:N0} of {Total:N0}",
        (_, > 0) => $"{Done:N0} so far",
        _ => "running",
    };

    /// <summary>0 to 1 for a progress bar; 0 without a total.</summary>
    public double Fraction => Total > 0 ? Math.Clamp((double)Done / Total, 0, 1) : 0;
}
