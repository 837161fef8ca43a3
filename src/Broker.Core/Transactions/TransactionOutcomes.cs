namespace Broker.Core.Transactions;

/// <summary>
/// How recent transactions ended, per user and transaction id, so a client that reconnects after losing a
/// COMMIT's receipt can ask again: a repeated COMMIT of a committed transaction gets its RECEIPT, one of a
/// rolled-back transaction an ERROR saying so. Bounded: the oldest outcomes are forgotten first.
/// </summary>
public sealed class TransactionOutcomes(int capacity = 10_000)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(string User, string Id), bool> _committed = [];
    private readonly Queue<(string User, string Id)> _order = new();

    public void Record(string user, string transactionId, bool committed)
    {
        lock (_lock)
        {
            if (_committed.TryAdd((user, transactionId), committed))
            {
                _order.Enqueue((user, transactionId));
                if (_order.Count > capacity)
                {
                    _committed.Remove(_order.Dequeue());
                }
            }
            else
            {
                _committed[(user, transactionId)] = committed;
            }
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            _committed.Clear();
            _order.Clear();
        }
    }

    /// <returns>True when the outcome is known; <paramref name="committed"/> says which.</returns>
    public bool TryGet(string user, string transactionId, out bool committed)
    {
        lock (_lock)
        {
            return _committed.TryGetValue((user, transactionId), out committed);
        }
    }
}
