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
    public const int Capacity = 10_000;

    private readonly Lock _lock = new();
    private readonly Dictionary<(string User, string Id), Outcome> _outcomes = [];
    private readonly Queue<(string User, string Id)> _order = new();

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
            if (_outcomes.TryAdd((user, transactionId), new Outcome(committed, atMs)))
            {
                _order.Enqueue((user, transactionId));
                if (_order.Count > Capacity)
                {
                    _outcomes.Remove(_order.Dequeue());
                }
            }
            else
            {
                _outcomes[(user, transactionId)] = new Outcome(committed, atMs);
            }
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            _outcomes.Clear();
            _order.Clear();
        }
    }

    /// <returns>True when the outcome is known; <paramref name="committed"/> says which.</returns>
    public bool TryGet(string user, string transactionId, out bool committed)
    {
        lock (_lock)
        {
            var known = _outcomes.TryGetValue((user, transactionId), out var outcome);
            committed = outcome.Committed;
            return known;
        }
    }

    /// <summary>Forgets outcomes older than the retention (the sweep calls it; so does recovery).</summary>
    public void ForgetExpired(long nowMs)
    {
        lock (_lock)
        {
            // Oldest first in the queue, except an id recorded again later (its entry is newer than its place).
            while (_order.TryPeek(out var key))
            {
                if (_outcomes.TryGetValue(key, out var outcome) && nowMs - outcome.AtMs <= retention.TotalMilliseconds)
                {
                    break;
                }
                _order.Dequeue();
                _outcomes.Remove(key);
            }
        }
    }

    private readonly record struct Outcome(bool Committed, long AtMs);
}
