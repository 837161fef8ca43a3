namespace Broker.Core.Transactions;

/// <summary>
/// The latest transactions per user and transaction id, at most <see cref="Capacity"/>, oldest forgotten first:
/// the one bound shared by the broker's outcomes (<see cref="TransactionOutcomes"/>), recovery's fold of the
/// committed ones (<see cref="Storage.RecoveryState"/>) and the journal's index of their records (kept through
/// compaction). Recording an id again replaces its value and keeps its place. Not thread-safe: owners lock.
/// </summary>
public sealed class BoundedOutcomeTable<TValue>(int capacity = BoundedOutcomeTable.DefaultCapacity)
{
    private readonly Dictionary<(string User, string Id), TValue> _values = [];
    // Insertion order; holds exactly the keys of _values (an id recorded again keeps its first place).
    private readonly Queue<(string User, string Id)> _order = new();

    public int Capacity => capacity;

    public int Count => _values.Count;

    /// <summary>The values, oldest first.</summary>
    public IEnumerable<TValue> Values => _order.Select(key => _values[key]);

    public void Set(string user, string transactionId, TValue value)
    {
        if (_values.TryAdd((user, transactionId), value))
        {
            _order.Enqueue((user, transactionId));
            if (_order.Count > capacity)
            {
                _values.Remove(_order.Dequeue());
            }
        }
        else
        {
            _values[(user, transactionId)] = value;
        }
    }

    public bool TryGet(string user, string transactionId, out TValue value) =>
        _values.TryGetValue((user, transactionId), out value!);

    /// <summary>Forgets from the oldest on while <paramref name="expired"/> says so; stops at the first it keeps.</summary>
    public void ForgetOldestWhile(Func<TValue, bool> expired)
    {
        while (_order.TryPeek(out var key) && expired(_values[key]))
        {
            _values.Remove(_order.Dequeue());
        }
    }

    public void Clear()
    {
        _values.Clear();
        _order.Clear();
    }
}

/// <summary>The bound itself, for callers that name it.</summary>
public static class BoundedOutcomeTable
{
    /// <summary>How many transactions a broker (and a recovery, and the journal) keeps at most.</summary>
    public const int DefaultCapacity = 10_000;
}
