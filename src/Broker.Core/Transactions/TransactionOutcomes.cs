namespace Broker.Core.Transactions;

/// <summary>
/// How recent transactions ended, per user and transaction id, so a client that reconnects after losing a
/// COMMIT's receipt can ask again: a repeated COMMIT of a committed transaction gets its RECEIPT, one of a
/// rolled-back transaction an ERROR saying so. Commits are journaled (<see cref="Storage.TransactionCommittedRecord"/>)
/// and come back here at recovery and promotion; rollbacks are kept in memory only (a broker that does not know
/// a transaction has not committed it). Bounded like the duplicate filter: at most <see cref="Capacity"/>
/// outcomes, oldest forgotten first, and none older than the retention.
/// </summary>
public sealed class TransactionOutcomes(TimeSpan retention, TimeProvider clock)
{
    /// <summary>How many outcomes a broker (and a recovery) keeps at most.</summary>
    public const int Capacity = BoundedOutcomeTable.DefaultCapacity;

    private readonly Lock _lock = new();
    private readonly BoundedOutcomeTable<Outcome> _outcomes = new(Capacity);

    public int Count
    {
        get { lock (_lock) { return _outcomes.Count; } }
    }

    /// <summary>Records how a transaction ended, now.</summary>
    public void Record(string user, string transactionId, bool committed) =>
        Record(user, transactionId, committed, clock.GetUtcNow().ToUnixTimeMilliseconds());

    /// <summary>Records how a transaction ended at <paramref name="atMs"/> (a recovered commit keeps its time).</summary>
    public void Record(string user, string transactionId, bool committed, long atMs)
    {
        lock (_lock)
        {
            _outcomes.Set(user, transactionId, new Outcome(committed, atMs));
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            _outcomes.Clear();
        }
    }

    /// <returns>True when the outcome is known; <paramref name="committed"/> says which.</returns>
    public bool TryGet(string user, string transactionId, out bool committed)
    {
        lock (_lock)
        {
            var known = _outcomes.TryGet(user, transactionId, out var outcome);
            committed = outcome.Committed;
            return known;
        }
    }

    /// <summary>Forgets outcomes older than the retention (the sweep calls it; so does recovery).</summary>
    public void ForgetExpired(long nowMs)
    {
        lock (_lock)
        {
            // Oldest first, except an id recorded again later (its entry is newer than its place): it stops the sweep.
            _outcomes.ForgetOldestWhile(outcome => nowMs - outcome.AtMs > retention.TotalMilliseconds);
        }
    }

    private readonly record struct Outcome(bool Committed, long AtMs);
}
