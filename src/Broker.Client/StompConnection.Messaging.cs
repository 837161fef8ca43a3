using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using Broker.Stomp.Protocol;

namespace Broker.Client;

/// <summary>How to send one message. Immutable; start from <see cref="Default"/>.</summary>
public sealed record SendOptions
{
    /// <summary>Persistent, text/plain, no extra headers.</summary>
    public static SendOptions Default { get; } = new();

    /// <summary>The <c>persistent</c> header: the broker stores the message (default true).</summary>
    public bool Persistent { get; init; } = true;

    /// <summary>
    /// Ask for a receipt and complete only when it comes (default: as <see cref="Persistent"/>). Such a SEND is
    /// stamped with <c>producer-id</c>/<c>producer-seq</c> and resent after a failover until its receipt arrives;
    /// one without is written once and forgotten.
    /// </summary>
    public bool? AwaitReceipt { get; init; }

    /// <summary>The <c>content-type</c> header.</summary>
    public string? ContentType { get; init; } = "text/plain";

    /// <summary>The <c>priority</c> header, 0-9.</summary>
    public int? Priority { get; init; }

    /// <summary>Time to live; sets <c>expires</c>.</summary>
    public TimeSpan? TimeToLive { get; init; }

    /// <summary>Extra headers (custom ones, <c>reply-to</c>, <c>correlation-id</c>...).</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }
}

public sealed partial class StompConnection
{
    private readonly Lock _pendingLock = new();
    private readonly SortedDictionary<long, PendingSend> _pending = [];
    private long _nextSequence;

    private int PendingCount
    {
        get { lock (_pendingLock) { return _pending.Count; } }
    }

    /// <summary>Sends a UTF-8 text message. See <see cref="SendAsync(string, ReadOnlyMemory{byte}, SendOptions?, CancellationToken)"/>.</summary>
    public Task SendAsync(string destination, string body, SendOptions? options = null, CancellationToken cancellationToken = default) =>
        SendAsync(destination, Encoding.UTF8.GetBytes(body), options, cancellationToken);

    /// <summary>
    /// Sends a message to <paramref name="destination"/> (<c>/queue/X</c> or <c>/topic/X</c>). A persistent one (or
    /// any with <see cref="SendOptions.AwaitReceipt"/>) completes when the broker's RECEIPT arrives, across
    /// failovers; any other when it is written.
    /// While reconnecting it waits up to the failover <c>timeout</c>, then throws <see cref="TimeoutException"/>.
    /// Throws <see cref="StompErrorException"/> when the broker refuses it.
    /// Cancelling stops the wait; a message already written may still be delivered.
    /// </summary>
    public async Task SendAsync(string destination, ReadOnlyMemory<byte> body, SendOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(destination);
        options ??= SendOptions.Default;
        var headers = SendHeaders(destination, options, transaction: null);
        PendingSend? pending = null;
        while (pending is null)
        {
            var link = await WaitForLinkAsync(cancellationToken);
            await _writeLock.WaitAsync(cancellationToken);
            try
            {
                if (!IsCurrent(link))
                {
                    continue;
                }
                if (!(options.AwaitReceipt ?? options.Persistent))
                {
                    await link.WriteAsync(new StompFrame("SEND", [.. headers], body), CancellationToken.None);
                    Interlocked.Increment(ref _sent);
                    return;
                }
                // Sequence and write under one lock: producer-seq order is wire order.
                var sequence = ++_nextSequence;
                var receipt = $"send-{sequence}";
                List<KeyValuePair<string, string>> stamped =
                [
                    .. headers,
                    new("producer-id", _producerId),
                    new("producer-seq", sequence.ToString(CultureInfo.InvariantCulture)),
                    new("receipt", receipt),
                ];
                pending = new PendingSend(sequence, receipt, new StompFrame("SEND", stamped, body));
                lock (_pendingLock)
                {
                    _pending.Add(sequence, pending);
                }
                try
                {
                    await link.WriteAsync(pending.Frame, CancellationToken.None);
                }
                catch (IOException)
                {
                    // Pending: the reconnect task resends it on the next link.
                }
            }
            catch (IOException)
            {
                // A non-persistent SEND on a link that just died: try again on the next one.
            }
            finally
            {
                _writeLock.Release();
            }
        }
        try
        {
            await pending.Completion.Task.WaitAsync(cancellationToken);
            Interlocked.Increment(ref _sent);
        }
        catch (OperationCanceledException)
        {
            RemovePending(pending.Sequence);
            throw;
        }
    }

    /// <summary>
    /// Subscribes and returns the subscription, whose messages are read with <c>await foreach</c>. The SUBSCRIBE is
    /// confirmed by a receipt; after a failover it is restored on the new link.
    /// </summary>
    public Task<StompSubscription> SubscribeAsync(string destination, SubscribeOptions? options = null, CancellationToken cancellationToken = default) =>
        SubscribeCoreAsync(destination, options ?? SubscribeOptions.Default, handler: null, cancellationToken);

    /// <summary>
    /// Subscribes with a handler, called for one message at a time on a task of the subscription's own (a slow
    /// handler delays only its subscription). An exception from the handler NACKs the message in client modes.
    /// </summary>
    public Task<StompSubscription> SubscribeAsync(string destination, Func<StompMessage, CancellationToken, Task> handler, SubscribeOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return SubscribeCoreAsync(destination, options ?? SubscribeOptions.Default, handler, cancellationToken);
    }

    private async Task<StompSubscription> SubscribeCoreAsync(string destination, SubscribeOptions options, Func<StompMessage, CancellationToken, Task>? handler, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(destination);
        var number = Interlocked.Increment(ref _nextId);
        var subscription = new StompSubscription(this, $"sub-{number}", number, destination, options, handler);
        while (true)
        {
            var link = await WaitForLinkAsync(cancellationToken);
            var receipt = NextReceipt("subscribe");
            var confirmed = ExpectReceipt(receipt);
            await _writeLock.WaitAsync(cancellationToken);
            try
            {
                if (!IsCurrent(link))
                {
                    _receipts.TryRemove(receipt, out _);
                    continue;
                }
                // Registered before the frame goes out: the first MESSAGE may come before the receipt, and a
                // failover from here on restores it.
                _subscriptions[subscription.Id] = subscription;
                await link.WriteAsync(subscription.SubscribeFrame(receipt), CancellationToken.None);
            }
            catch (IOException)
            {
                // Registered: restored on the next link, which is what the caller asked for.
                _receipts.TryRemove(receipt, out _);
                return subscription;
            }
            finally
            {
                _writeLock.Release();
            }
            try
            {
                await confirmed.WaitAsync(_options.ReceiptTimeout, cancellationToken);
            }
            catch (IOException)
            {
                // The link dropped before the receipt; the reconnect restores the subscription.
            }
            catch (Exception)
            {
                _subscriptions.TryRemove(subscription.Id, out _);
                subscription.Complete(null);
                throw;
            }
            subscription.Start();
            return subscription;
        }
    }

    internal async Task UnsubscribeAsync(StompSubscription subscription, CancellationToken cancellationToken)
    {
        if (!_subscriptions.TryRemove(subscription.Id, out _))
        {
            return;
        }
        var link = CurrentLink;
        if (link is not null)
        {
            List<(string, string)> headers = [("id", subscription.Id)];
            if (subscription.Options.DurableName is { } durable)
            {
                headers.Add(("activemq.subscriptionName", durable));
            }
            try
            {
                await WriteOnAsync(link, new StompFrame("UNSUBSCRIBE", [.. headers]), cancellationToken);
            }
            catch (IOException)
            {
                // Gone with the link anyway.
            }
        }
    }

    /// <summary>
    /// Acknowledges a message received in client or client-individual mode. Returns false, sending nothing, when
    /// the message came on an earlier link: the broker has already put it back and redelivers it.
    /// </summary>
    public Task<bool> AckAsync(StompMessage message, CancellationToken cancellationToken = default) => AckAsync(message, null, cancellationToken);

    /// <summary>Returns a message for redelivery; false (nothing sent) for a delivery from an earlier link.</summary>
    public Task<bool> NackAsync(StompMessage message, CancellationToken cancellationToken = default) =>
        AckOrNackAsync("NACK", message, null, cancellationToken);

    internal Task<bool> AckAsync(StompMessage message, string? transaction, CancellationToken cancellationToken) =>
        AckOrNackAsync("ACK", message, transaction, cancellationToken);

    private async Task<bool> AckOrNackAsync(string command, StompMessage message, string? transaction, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var ackId = message.AckId ?? throw new InvalidOperationException($"message {message.MessageId} came through an auto-ack subscription: there is nothing to {command}");
        List<(string, string)> headers = [("id", ackId)];
        if (transaction is not null)
        {
            headers.Add(("transaction", transaction));
        }
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            var link = CurrentLink;
            if (link is null || link.Generation != message.Generation)
            {
                Interlocked.Increment(ref _staleAcks);
                return false;
            }
            await link.WriteAsync(new StompFrame(command, [.. headers]), CancellationToken.None);
            return true;
        }
        catch (IOException)
        {
            Interlocked.Increment(ref _staleAcks);
            return false;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>
    /// Begins a transaction on the current link. If the link drops before COMMIT the broker rolls it back, and
    /// the transaction's operations throw <see cref="StompTransactionRolledBackException"/>.
    /// </summary>
    public async Task<StompTransaction> BeginTransactionAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var link = await WaitForLinkAsync(cancellationToken);
            var transaction = new StompTransaction(this, NextTransactionId(), link.Generation);
            _transactions[transaction.Id] = transaction;
            try
            {
                await WriteOnAsync(link, new StompFrame("BEGIN", ("transaction", transaction.Id)), cancellationToken);
                return transaction;
            }
            catch (IOException)
            {
                _transactions.TryRemove(transaction.Id, out _);
            }
        }
    }

    internal async Task SendInTransactionAsync(StompTransaction transaction, string destination, ReadOnlyMemory<byte> body, SendOptions options, CancellationToken cancellationToken)
    {
        // Not stamped with producer-seq: the broker admits transactional SENDs at COMMIT, out of sequence order,
        // and they are never resent (a dropped link rolls the transaction back).
        var headers = SendHeaders(destination, options, transaction.Id);
        await WriteInTransactionAsync(transaction, new StompFrame("SEND", [.. headers], body), cancellationToken);
    }

    internal async Task WriteInTransactionAsync(StompTransaction transaction, StompFrame frame, CancellationToken cancellationToken)
    {
        transaction.ThrowIfRolledBack();
        var link = CurrentLink;
        if (link is null || link.Generation != transaction.Generation)
        {
            transaction.MarkRolledBack("the link it was begun on dropped");
            transaction.ThrowIfRolledBack();
        }
        try
        {
            await WriteOnAsync(link!, frame, cancellationToken);
        }
        catch (IOException)
        {
            transaction.MarkRolledBack("the link dropped while it was open");
            transaction.ThrowIfRolledBack();
        }
    }

    /// <summary>
    /// COMMIT, and when the link drops before its receipt, COMMIT again on each following link until a broker
    /// answers: its RECEIPT means committed (the broker journals commits, so a promoted slave knows them too), its
    /// ERROR means rolled back (that broker saw the transaction roll back, or never saw it commit).
    /// </summary>
    internal async Task CommitAsync(StompTransaction transaction, CancellationToken cancellationToken)
    {
        try
        {
            transaction.ThrowIfRolledBack();
            // From here a dropped link leaves the outcome to be asked (OnLinkClosed does not mark it rolled back).
            transaction.MarkCommitting();
            var link = CurrentLink;
            if (link is null || link.Generation != transaction.Generation)
            {
                // The COMMIT never left; the broker rolled the transaction back when its link closed.
                RollBack(transaction, "the link it was begun on dropped before COMMIT");
            }
            if (await TryCommitOnAsync(link!, transaction, cancellationToken))
            {
                return;
            }
            ClientLog.CommitInDoubt(_logger, transaction.Id);
            while (true)
            {
                var next = await WaitForLinkAsync(cancellationToken);
                try
                {
                    if (await TryCommitOnAsync(next, transaction, cancellationToken))
                    {
                        Interlocked.Increment(ref _commitsResolved);
                        ClientLog.CommitResolved(_logger, transaction.Id, "committed");
                        return;
                    }
                }
                catch (StompErrorException e)
                {
                    Interlocked.Increment(ref _commitsResolved);
                    ClientLog.CommitResolved(_logger, transaction.Id, "rolled back");
                    RollBack(transaction, $"the broker answered the repeated COMMIT: {e.Message}");
                }
            }
        }
        finally
        {
            _transactions.TryRemove(transaction.Id, out _);
        }
    }

    /// <summary>True when the RECEIPT came; false when the link dropped first (the outcome is in doubt).</summary>
    private async Task<bool> TryCommitOnAsync(StompLink link, StompTransaction transaction, CancellationToken cancellationToken)
    {
        var receipt = NextReceipt("commit");
        var wait = ExpectReceipt(receipt);
        try
        {
            await WriteOnAsync(link, new StompFrame("COMMIT", ("transaction", transaction.Id), ("receipt", receipt)), cancellationToken);
            await wait.WaitAsync(_options.ReceiptTimeout, cancellationToken);
            return true;
        }
        catch (IOException)
        {
            // A failed write may still have put the whole frame on the wire: in doubt too.
            return false;
        }
        finally
        {
            _receipts.TryRemove(receipt, out _);
        }
    }

    [DoesNotReturn]
    private void RollBack(StompTransaction transaction, string why)
    {
        if (transaction.MarkRolledBack(why))
        {
            Interlocked.Increment(ref _rolledBack);
        }
        transaction.ThrowIfRolledBack();
        throw new UnreachableException();
    }

    internal async Task EndTransactionAsync(StompTransaction transaction, string command, CancellationToken cancellationToken)
    {
        var receipt = NextReceipt(command.ToLowerInvariant());
        var wait = ExpectReceipt(receipt);
        try
        {
            await WriteInTransactionAsync(transaction, new StompFrame(command, ("transaction", transaction.Id), ("receipt", receipt)), cancellationToken);
            await wait.WaitAsync(_options.ReceiptTimeout, cancellationToken);
        }
        catch (IOException) when (command == "ABORT")
        {
            // A dropped link rolls it back anyway.
        }
        finally
        {
            _receipts.TryRemove(receipt, out _);
            _transactions.TryRemove(transaction.Id, out _);
        }
    }

    private static List<KeyValuePair<string, string>> SendHeaders(string destination, SendOptions options, string? transaction)
    {
        List<KeyValuePair<string, string>> headers = [new("destination", destination)];
        if (options.Persistent)
        {
            headers.Add(new("persistent", "true"));
        }
        if (options.ContentType is { } contentType)
        {
            headers.Add(new("content-type", contentType));
        }
        if (options.Priority is { } priority)
        {
            headers.Add(new("priority", priority.ToString(CultureInfo.InvariantCulture)));
        }
        if (options.TimeToLive is { } ttl)
        {
            headers.Add(new("expires", (DateTimeOffset.UtcNow + ttl).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)));
        }
        if (transaction is not null)
        {
            headers.Add(new("transaction", transaction));
        }
        foreach (var (name, value) in options.Headers ?? new Dictionary<string, string>())
        {
            if (name is "producer-id" or "producer-seq" or "receipt" or "transaction" or "destination")
            {
                throw new ArgumentException($"header '{name}' is set by the client", nameof(options));
            }
            headers.Add(new(name, value));
        }
        return headers;
    }

    private StompLink? CurrentLink
    {
        get { lock (_stateLock) { return _state == StompConnectionState.Connected ? _link : null; } }
    }

    private bool IsCurrent(StompLink link)
    {
        lock (_stateLock)
        {
            return ReferenceEquals(_link, link) && link.IsOpen;
        }
    }

    /// <summary>The current link, waiting for a reconnection up to the failover <c>timeout</c>.</summary>
    private async Task<StompLink> WaitForLinkAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task signal;
            lock (_stateLock)
            {
                if (_state is StompConnectionState.Failed or StompConnectionState.Closed)
                {
                    throw new StompConnectionException($"the connection is {_state.ToString().ToLowerInvariant()}: {_failure?.Message}", _failure);
                }
                if (_link is { IsOpen: true } link && _state == StompConnectionState.Connected)
                {
                    return link;
                }
                signal = _linkUp.Task;
            }
            try
            {
                if (Failover.Timeout == Timeout.InfiniteTimeSpan)
                {
                    await signal.WaitAsync(cancellationToken);
                }
                else
                {
                    await signal.WaitAsync(Failover.Timeout, cancellationToken);
                }
            }
            catch (TimeoutException)
            {
                throw new TimeoutException($"no broker was reachable within the failover timeout of {Failover.Timeout.TotalMilliseconds} ms");
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                // Failed or closed: the loop throws with the reason.
            }
        }
    }

    private async Task WriteOnAsync(StompLink link, StompFrame frame, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            await link.WriteAsync(frame, CancellationToken.None);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private List<PendingSend> PendingInOrder()
    {
        lock (_pendingLock)
        {
            return [.. _pending.Values];
        }
    }

    private bool TryCompletePending(string receipt)
    {
        if (!TryTakePending(receipt, out var pending))
        {
            return false;
        }
        pending.Completion.TrySetResult();
        return true;
    }

    private bool TryFailPending(string receipt, Exception error)
    {
        if (!TryTakePending(receipt, out var pending))
        {
            return false;
        }
        pending.Completion.TrySetException(error);
        return true;
    }

    private bool TryTakePending(string receipt, out PendingSend pending)
    {
        pending = null!;
        if (!receipt.StartsWith("send-", StringComparison.Ordinal) || !long.TryParse(receipt.AsSpan(5), CultureInfo.InvariantCulture, out var sequence))
        {
            return false;
        }
        lock (_pendingLock)
        {
            return _pending.Remove(sequence, out pending!);
        }
    }

    private void RemovePending(long sequence)
    {
        lock (_pendingLock)
        {
            _pending.Remove(sequence);
        }
    }

    private void FailPending(Exception error)
    {
        List<PendingSend> failed;
        lock (_pendingLock)
        {
            failed = [.. _pending.Values];
            _pending.Clear();
        }
        foreach (var pending in failed)
        {
            pending.Completion.TrySetException(error);
        }
    }

    private sealed class PendingSend(long sequence, string receipt, StompFrame frame)
    {
        public long Sequence { get; } = sequence;

        public string Receipt { get; } = receipt;

        public StompFrame Frame { get; } = frame;

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
