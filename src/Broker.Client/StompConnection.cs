using System.Collections.Concurrent;
using System.Threading.Channels;
using Broker.Stomp.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Broker.Client;

/// <summary>
/// A STOMP 1.2 connection with ActiveMQ-style failover. Thread-safe: any number of tasks may send, subscribe and
/// acknowledge at once. Create one with <see cref="ConnectAsync(string, StompClientOptions?, CancellationToken)"/>.
/// </summary>
/// <remarks>
/// When the link drops the connection moves to <see cref="StompConnectionState.Reconnecting"/> and a single
/// tracked task reconnects by the <see cref="ReconnectSchedule"/>; once a broker accepts it, subscriptions are
/// restored and every SEND still awaiting its receipt is written again, in order, before any new one. Resendable
/// SENDs carry <c>producer-id</c> and <c>producer-seq</c>, so the broker drops the copies it already has.
/// State changes are raised from a channel of their own: a slow event handler never stalls the link.
/// </remarks>
public sealed partial class StompConnection : IAsyncDisposable
{
    private readonly StompClientOptions _options;
    private readonly ReconnectSchedule _schedule;
    private readonly Random _random;
    private readonly ILogger _logger;
    private readonly string _producerId;

    // Serialises every write on every link; also makes "assign producer-seq + write" atomic, so sequence order
    // is wire order, which the broker's high-water mark relies on.
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Lock _stateLock = new();
    private readonly CancellationTokenSource _closing = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource<StompFrame>> _receipts = new();
    private readonly ConcurrentDictionary<string, StompSubscription> _subscriptions = new();
    private readonly ConcurrentDictionary<string, StompTransaction> _transactions = new();
    private readonly Channel<StompConnectionEvent> _events = Channel.CreateUnbounded<StompConnectionEvent>(new() { SingleReader = true });
    private readonly Task _eventPump;

    private StompLink? _link;
    private long _generation;
    private StompConnectionState _state = StompConnectionState.Connecting;
    private TaskCompletionSource _linkUp = NewSignal();
    private Exception? _failure;
    private Task _reconnectTask = Task.CompletedTask;
    private BrokerEndpoint? _lastEndpoint;
    private long _outage;
    private bool _planned;
    private bool _disconnecting;
    private long _nextReceipt;
    private long _nextId;
    private readonly string _instanceId = Guid.NewGuid().ToString("N")[..12];

    private long _reconnects;
    private long _resent;
    private long _sent;
    private long _received;
    private long _staleAcks;
    private long _rolledBack;
    private long _commitsResolved;
    private DateTimeOffset? _lastFailover;
    private DateTimeOffset? _lastResumed;

    private StompConnection(FailoverOptions failover, StompClientOptions options)
    {
        Failover = failover;
        _options = options;
        _schedule = new ReconnectSchedule(failover);
        _random = options.Random ?? Random.Shared;
        _logger = options.Logger ?? NullLogger.Instance;
        _producerId = options.ProducerId ?? Guid.NewGuid().ToString("N");
        _eventPump = Task.Run(PumpEventsAsync);
    }

    /// <summary>The state changed (every transition).</summary>
    public event EventHandler<StompConnectionEvent>? StateChanged;

    /// <summary>The link dropped and reconnection began.</summary>
    public event EventHandler<StompConnectionEvent>? ConnectionInterrupted;

    /// <summary>A broker accepted us again; subscriptions are restored and pending sends resent.</summary>
    public event EventHandler<StompConnectionEvent>? ConnectionResumed;

    /// <summary>Reconnection gave up; the connection is unusable.</summary>
    public event EventHandler<StompConnectionEvent>? ConnectionFailed;

    /// <summary>The failover options in force.</summary>
    public FailoverOptions Failover { get; }

    /// <summary>The state now.</summary>
    public StompConnectionState State
    {
        get { lock (_stateLock) { return _state; } }
    }

    /// <summary>The <c>producer-id</c> this connection stamps on resendable SENDs.</summary>
    public string ProducerId => _producerId;

    /// <summary>Counters and state for health checks.</summary>
    public StompConnectionStatistics Statistics
    {
        get
        {
            lock (_stateLock)
            {
                return new StompConnectionStatistics
                {
                    State = _state,
                    Endpoint = _lastEndpoint?.ToString(),
                    Reconnects = _reconnects,
                    LastFailover = _lastFailover,
                    LastResumed = _lastResumed,
                    ResentSends = Interlocked.Read(ref _resent),
                    Sent = Interlocked.Read(ref _sent),
                    Received = Interlocked.Read(ref _received),
                    StaleAcksSkipped = Interlocked.Read(ref _staleAcks),
                    TransactionsRolledBack = Interlocked.Read(ref _rolledBack),
                    CommitsResolved = Interlocked.Read(ref _commitsResolved),
                    PendingSends = PendingCount,
                };
            }
        }
    }

    /// <summary>
    /// Connects to <paramref name="uri"/> (<c>tcp://host:port</c> or <c>failover:(...)?options</c>), trying by the
    /// schedule up to <c>startupMaxReconnectAttempts</c>. Throws <see cref="StompUriException"/> for a bad URI,
    /// <see cref="StompErrorException"/> when the broker refuses the CONNECT, <see cref="StompConnectionException"/>
    /// when no broker could be reached.
    /// </summary>
    public static Task<StompConnection> ConnectAsync(string uri, StompClientOptions? options = null, CancellationToken cancellationToken = default) =>
        ConnectAsync(FailoverUri.Parse(uri), options, cancellationToken);

    /// <summary>Connects with already-parsed failover options.</summary>
    public static async Task<StompConnection> ConnectAsync(FailoverOptions failover, StompClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(failover);
        if (failover.Endpoints.Count == 0)
        {
            throw new ArgumentException("the failover options list no broker", nameof(failover));
        }
        var connection = new StompConnection(failover, options ?? StompClientOptions.Default);
        try
        {
            await connection.ConnectLoopAsync(current: null, startup: true, cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Graceful close: waits (up to the receipt timeout) for pending SENDs, sends DISCONNECT and waits for its
    /// receipt, then closes. Safe to call more than once.
    /// </summary>
    public async Task DisconnectAsync(CancellationToken cancellationToken = default)
    {
        StompLink? link;
        lock (_stateLock)
        {
            if (_state is StompConnectionState.Closed)
            {
                return;
            }
            link = _state == StompConnectionState.Connected ? _link : null;
            // The broker closes the link after the DISCONNECT receipt: that close is not a failure to recover from.
            _disconnecting = true;
        }
        if (link is not null)
        {
            try
            {
                var receipt = NextReceipt("disconnect");
                var wait = ExpectReceipt(receipt);
                await WriteOnAsync(link, new StompFrame("DISCONNECT", ("receipt", receipt)), cancellationToken);
                await wait.WaitAsync(_options.ReceiptTimeout, cancellationToken);
            }
            catch (Exception e) when (e is IOException or TimeoutException or StompErrorException)
            {
                // Closing anyway.
            }
        }
        await CloseAsync(new StompConnectionException("the connection was closed by the application"));
    }

    /// <summary>Closes at once (no DISCONNECT handshake): pending operations fail, subscriptions end.</summary>
    public async ValueTask DisposeAsync()
    {
        await CloseAsync(new StompConnectionException("the connection was disposed"));
    }

    private async Task CloseAsync(Exception reason)
    {
        StompLink? link;
        lock (_stateLock)
        {
            if (_state == StompConnectionState.Closed)
            {
                return;
            }
            _failure ??= reason;
            link = _link;
            _link = null;
            SetState(StompConnectionState.Closed, reason.Message, 0);
            _linkUp.TrySetException(reason);
        }
        _closing.Cancel();
        if (link is not null)
        {
            await link.DisposeAsync();
        }
        try
        {
            await _reconnectTask;
        }
        catch (Exception)
        {
            // Its outcome is already in the state.
        }
        FailEverything(reason, graceful: true);
        _events.Writer.TryComplete();
        await _eventPump;
    }

    /// <summary>Ends every waiter; subscriptions end normally when the application closed the connection.</summary>
    private void FailEverything(Exception reason, bool graceful = false)
    {
        FailPending(reason);
        foreach (var (id, receipt) in _receipts)
        {
            if (_receipts.TryRemove(id, out _))
            {
                receipt.TrySetException(reason);
            }
        }
        foreach (var subscription in _subscriptions.Values)
        {
            subscription.Complete(graceful ? null : reason);
        }
        foreach (var transaction in _transactions.Values)
        {
            transaction.MarkRolledBack("the connection closed");
        }
        _transactions.Clear();
    }

    /// <summary>Caller holds <see cref="_stateLock"/>.</summary>
    private void SetState(StompConnectionState state, string? reason, int attempt)
    {
        if (_state == state)
        {
            return;
        }
        _state = state;
        _events.Writer.TryWrite(new StompConnectionEvent(state, _lastEndpoint?.ToString(), reason, DateTimeOffset.UtcNow, attempt));
    }

    private async Task PumpEventsAsync()
    {
        await foreach (var e in _events.Reader.ReadAllAsync())
        {
            Raise(StateChanged, e);
            var specific = e.State switch
            {
                StompConnectionState.Reconnecting => ConnectionInterrupted,
                StompConnectionState.Connected when e.Attempt > 0 => ConnectionResumed,
                StompConnectionState.Failed => ConnectionFailed,
                _ => null,
            };
            Raise(specific, e);
        }
    }

    private void Raise(EventHandler<StompConnectionEvent>? handler, StompConnectionEvent e)
    {
        if (handler is null)
        {
            return;
        }
        foreach (var single in handler.GetInvocationList().Cast<EventHandler<StompConnectionEvent>>())
        {
            try
            {
                single(this, e);
            }
            catch (Exception ex)
            {
                // An application bug must not stop the next events.
                _logger.LogError(ex, "A connection event handler threw");
            }
        }
    }

    internal static StompErrorException ToException(StompFrame error)
    {
        var headers = new Dictionary<string, string>();
        foreach (var (name, value) in error.Headers)
        {
            headers.TryAdd(name, value);
        }
        var body = System.Text.Encoding.UTF8.GetString(error.Body.Span).Trim();
        var message = error["message"] ?? "";
        var text = body.Length == 0 || body == message ? message : message.Length == 0 ? body : $"{message}: {body}";
        return new StompErrorException(text.Length == 0 ? "the broker sent an ERROR" : text, headers);
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private string NextReceipt(string kind) => $"{kind}-{Interlocked.Increment(ref _nextReceipt)}";

    internal string NextId(string kind) => $"{kind}-{Interlocked.Increment(ref _nextId)}";

    /// <summary>
    /// A transaction id no other connection (of this process or another, now or after a restart) uses: the broker
    /// keeps commit outcomes per user and id across failovers, so an in-doubt COMMIT must never find someone else's.
    /// </summary>
    internal string NextTransactionId() => $"tx-{_instanceId}-{Interlocked.Increment(ref _nextId)}";

    private Task<StompFrame> ExpectReceipt(string receipt)
    {
        var tcs = new TaskCompletionSource<StompFrame>(TaskCreationOptions.RunContinuationsAsynchronously);
        _receipts[receipt] = tcs;
        return tcs.Task;
    }
}
