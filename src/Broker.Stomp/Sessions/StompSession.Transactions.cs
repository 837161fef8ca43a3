using Broker.Core;
using Broker.Core.Transactions;
using Broker.Stomp.Protocol;

namespace Broker.Stomp.Sessions;

public sealed partial class StompSession
{
    private void Begin(StompFrame frame)
    {
        var id = RequireTransactionHeader(frame);
        if (_transactions.ContainsKey(id))
        {
            throw new StompProtocolException($"transaction '{id}' has already begun");
        }
        if (_transactions.Count >= _broker.Options.MaxTransactionsPerConnection)
        {
            throw new BrokerException($"a connection may hold at most {_broker.Options.MaxTransactionsPerConnection} open transactions (MaxTransactionsPerConnection)");
        }
        _transactions[id] = _broker.BeginTransaction(id);
        EnqueueReceipt(frame);
    }

    private void Commit(StompFrame frame)
    {
        var id = RequireTransactionHeader(frame);
        var transaction = RequireTransaction(id);
        _transactions.Remove(id);
        EnqueueReceipt(frame, transaction.Commit());
    }

    private void Abort(StompFrame frame)
    {
        var id = RequireTransactionHeader(frame);
        var transaction = RequireTransaction(id);
        _transactions.Remove(id);
        transaction.Rollback();
        EnqueueReceipt(frame);
    }

    private Transaction RequireTransaction(string id) =>
        _transactions.TryGetValue(id, out var transaction)
            ? transaction
            : throw new StompProtocolException($"transaction '{id}' has not begun on this connection");

    private static string RequireTransactionHeader(StompFrame frame) =>
        frame["transaction"] ?? throw new StompProtocolException($"{frame.Command} needs a transaction header");
}
