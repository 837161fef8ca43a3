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
        if (!_transactions.ContainsKey(id) && _broker.TransactionOutcomes.TryGet(_user!.Name, id, out var committed))
        {
            // A COMMIT repeated after a reconnection: answer with how the transaction ended.
            if (!committed)
            {
                throw new BrokerException($"transaction '{id}' was rolled back");
            }
            EnqueueReceipt(frame, _broker.WhenStoredSoFar());
            return;
        }
        var transaction = RequireTransaction(id);
        _transactions.Remove(id);
        var durable = transaction.Commit(_user!.Name);
        EnqueueReceipt(frame, durable);
    }

    private void Abort(StompFrame frame)
    {
        var id = RequireTransactionHeader(frame);
        var transaction = RequireTransaction(id);
        _transactions.Remove(id);
        transaction.Rollback();
        _broker.TransactionOutcomes.Record(_user!.Name, id, committed: false);
        EnqueueReceipt(frame);
    }

    private Transaction RequireTransaction(string id) =>
        _transactions.TryGetValue(id, out var transaction)
            ? transaction
            : throw new StompProtocolException($"transaction '{id}' has not begun on this connection");

    private static string RequireTransactionHeader(StompFrame frame) =>
        frame["transaction"] ?? throw new StompProtocolException($"{frame.Command} needs a transaction header");
}
