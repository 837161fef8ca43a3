using Broker.Stomp.Protocol;

namespace Broker.Client;

public sealed partial class StompConnection
{
    /// <summary>
    /// Makes passes over the endpoints by the schedule until one accepts us and the session is restored on it.
    /// Used for the first connection (inline) and for every reconnection (as the one tracked reconnect task).
    /// </summary>
    private async Task ConnectLoopAsync(BrokerEndpoint? current, bool startup, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closing.Token);
        var token = linked.Token;
        var maxPasses = _schedule.MaxPasses(startup);
        Exception? last = null;
        bool planned;
        lock (_stateLock)
        {
            planned = _planned;
            _planned = false;
        }
        for (var pass = 1; maxPasses is null || pass <= maxPasses; pass++)
        {
            if (pass > 1)
            {
                await Task.Delay(_schedule.Delay(pass, _random), token);
            }
            // A planned switchover goes to the next broker in the written order, without shuffling.
            var order = planned && pass == 1 ? PlannedOrder(current) : _schedule.Order(current, _random);
            foreach (var endpoint in order)
            {
                token.ThrowIfCancellationRequested();
                try
                {
                    var generation = Interlocked.Increment(ref _generation);
                    var link = await StompLink.ConnectAsync(endpoint, _options, generation, _writeLock, OnFrame, OnLinkClosed, token);
                    if (await TryRestoreAsync(link, pass, startup))
                    {
                        return;
                    }
                    last = new IOException($"the link to {endpoint} dropped while the session was being restored");
                }
                catch (StompErrorException e) when (e.Headers.GetValueOrDefault("reconnect") != "true")
                {
                    // The broker answered and refused us (credentials, limits): retrying would not help.
                    Fail(e, pass);
                    throw;
                }
                catch (Exception e) when (e is not OperationCanceledException || !token.IsCancellationRequested)
                {
                    last = e;
                    ClientLog.AttemptFailed(_logger, endpoint.ToString(), e.Message);
                }
            }
            if (_options.Logger is not null && Failover.WarnAfterReconnectAttempts > 0 && pass % Failover.WarnAfterReconnectAttempts == 0)
            {
                ClientLog.StillReconnecting(_logger, pass, last?.Message ?? "");
            }
        }
        var error = new StompConnectionException(
            $"no broker of {string.Join(", ", Failover.Endpoints)} could be reached after {maxPasses} pass(es) " +
            $"({(startup ? "startupMaxReconnectAttempts/maxReconnectAttempts" : "maxReconnectAttempts")} exhausted): {last?.Message}", last);
        Fail(error, maxPasses ?? 0);
        throw error;
    }

    private List<BrokerEndpoint> PlannedOrder(BrokerEndpoint? current)
    {
        var all = Failover.Endpoints.ToList();
        var at = current is null ? -1 : all.IndexOf(current);
        return [.. all.Skip(at + 1), .. all.Take(at + 1)];
    }

    private void Fail(Exception error, int pass)
    {
        lock (_stateLock)
        {
            if (_state == StompConnectionState.Closed)
            {
                return;
            }
            _failure = error;
            SetState(StompConnectionState.Failed, error.Message, pass);
            _linkUp.TrySetException(error);
        }
        ClientLog.Failed(_logger, error.Message);
        FailEverything(error);
    }

    /// <summary>
    /// Re-subscribes and resends, holding the write lock so that no new SEND can overtake a resent one, then
    /// publishes the link. False when the link died meanwhile.
    /// </summary>
    private async Task<bool> TryRestoreAsync(StompLink link, int pass, bool startup)
    {
        await _writeLock.WaitAsync(CancellationToken.None);
        int resent = 0;
        try
        {
            foreach (var subscription in _subscriptions.Values.OrderBy(s => s.Number))
            {
                await link.WriteAsync(subscription.SubscribeFrame(receipt: null), CancellationToken.None);
            }
            foreach (var pending in PendingInOrder())
            {
                await link.WriteAsync(pending.Frame, CancellationToken.None);
                resent++;
            }
            lock (_stateLock)
            {
                // Close() marks the link closed before it reports; checking under the lock that OnLinkClosed takes
                // means either we see it closed here or OnLinkClosed sees it as the current link.
                if (!link.IsOpen || _state is StompConnectionState.Closed or StompConnectionState.Failed)
                {
                    return false;
                }
                _link = link;
                _lastEndpoint = link.Endpoint;
                _planned = false;
                if (!startup)
                {
                    _reconnects++;
                    _lastResumed = DateTimeOffset.UtcNow;
                }
                SetState(StompConnectionState.Connected, null, startup ? 0 : pass);
                _linkUp.TrySetResult();
            }
        }
        catch (IOException)
        {
            await link.DisposeAsync();
            return false;
        }
        finally
        {
            _writeLock.Release();
        }
        Interlocked.Add(ref _resent, resent);
        if (startup)
        {
            ClientLog.Connected(_logger, link.Endpoint.ToString());
        }
        else
        {
            ClientLog.Resumed(_logger, link.Endpoint.ToString(), pass, resent, _subscriptions.Count);
        }
        return true;
    }

    private void OnLinkClosed(StompLink link, Exception? reason)
    {
        long outage;
        bool planned;
        lock (_stateLock)
        {
            if (!ReferenceEquals(_link, link) || _state != StompConnectionState.Connected || _disconnecting)
            {
                return;
            }
            _link = null;
            _linkUp = NewSignal();
            _lastFailover = DateTimeOffset.UtcNow;
            outage = ++_outage;
            planned = _planned;
            if (!Failover.IsFailover)
            {
                _failure = new StompConnectionException($"the link to {link.Endpoint} was lost: {reason?.Message}", reason);
                SetState(StompConnectionState.Failed, reason?.Message, 0);
                _linkUp.TrySetException(_failure);
            }
            else
            {
                SetState(StompConnectionState.Reconnecting, reason?.Message ?? "closed", 0);
            }
        }
        var failure = new IOException($"the link to {link.Endpoint} was lost: {reason?.Message}", reason);
        // Receipts of this link (SUBSCRIBE, COMMIT, DISCONNECT) never come now; pending SENDs are kept for resending.
        foreach (var (id, receipt) in _receipts)
        {
            if (_receipts.TryRemove(id, out _))
            {
                receipt.TrySetException(failure);
            }
        }
        foreach (var transaction in _transactions.Values.Where(t => !t.IsCommitting))
        {
            // The broker rolls back a transaction whose connection closed. One whose COMMIT may have left is not
            // marked: CommitAsync asks the next link how it ended.
            if (transaction.MarkRolledBack($"the link to {link.Endpoint} dropped while it was open"))
            {
                Interlocked.Increment(ref _rolledBack);
            }
        }
        _transactions.Clear();
        _ = link.DisposeAsync().AsTask();

        if (!Failover.IsFailover)
        {
            ClientLog.Failed(_logger, failure.Message);
            FailEverything(_failure!);
            return;
        }
        if (!planned)
        {
            ClientLog.Interrupted(_logger, link.Endpoint.ToString(), reason?.Message ?? "closed");
        }
        if (Failover.Timeout != Timeout.InfiniteTimeSpan)
        {
            _ = ExpirePendingAsync(outage);
        }
        _reconnectTask = Task.Run(() => ConnectLoopAsync(link.Endpoint, startup: false, CancellationToken.None));
    }

    /// <summary>The <c>timeout</c> option: SENDs still waiting when an outage outlives it fail with <see cref="TimeoutException"/>.</summary>
    private async Task ExpirePendingAsync(long outage)
    {
        try
        {
            await Task.Delay(Failover.Timeout, _closing.Token);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        lock (_stateLock)
        {
            if (_outage != outage || _state != StompConnectionState.Reconnecting)
            {
                return;
            }
        }
        FailPending(new TimeoutException($"no broker was reachable within the failover timeout of {Failover.Timeout.TotalMilliseconds} ms"));
    }

    private void OnFrame(StompLink link, StompFrame frame)
    {
        switch (frame.Command)
        {
            case "MESSAGE":
                Interlocked.Increment(ref _received);
                if (frame["subscription"] is { } id && _subscriptions.TryGetValue(id, out var subscription))
                {
                    var headers = new Dictionary<string, string>(StringComparer.Ordinal);
                    foreach (var (name, value) in frame.Headers)
                    {
                        headers.TryAdd(name, value);
                    }
                    subscription.Deliver(new StompMessage(this, link.Generation, headers, frame.Body));
                }
                break;
            case "RECEIPT":
                if (frame["receipt-id"] is { } receipt)
                {
                    CompleteReceipt(receipt, frame);
                }
                break;
            case "ERROR":
                OnError(link, frame);
                break;
        }
    }

    private void CompleteReceipt(string receipt, StompFrame frame)
    {
        if (TryCompletePending(receipt))
        {
            return;
        }
        if (_receipts.TryRemove(receipt, out var waiter))
        {
            waiter.TrySetResult(frame);
        }
    }

    private void OnError(StompLink link, StompFrame frame)
    {
        var error = ToException(frame);
        if (frame["reconnect"] == "true")
        {
            // A planned switchover: go to the next broker now, without back-off, and keep everything pending.
            ClientLog.PlannedSwitchover(_logger, link.Endpoint.ToString(), error.Message);
            lock (_stateLock)
            {
                _planned = true;
            }
            link.Close(error);
            return;
        }
        ClientLog.BrokerError(_logger, link.Endpoint.ToString(), error.Message);
        if (frame["receipt-id"] is { } receipt)
        {
            // The operation it answers failed for good: never resend it.
            if (!TryFailPending(receipt, error) && _receipts.TryRemove(receipt, out var waiter))
            {
                waiter.TrySetException(error);
            }
        }
        // The broker closes the connection after every ERROR; failover takes over from there.
        link.Close(error);
    }
}
