using System.Buffers;
using System.Threading.Channels;
using Broker.Core;
using Broker.Core.Consumers;
using Broker.Core.Messages;
using Broker.Core.Security;
using Broker.Core.Transactions;
using Broker.Stomp.Protocol;
using Broker.Stomp.Transports;
using Microsoft.Extensions.Logging;

namespace Broker.Stomp.Sessions;

/// <summary>
/// One STOMP connection to one broker, over any transport. A read loop turns frames into broker calls; a
/// write loop owns the transport's output (messages, receipts, errors, heart-beats) and batches flushes;
/// a monitor enforces heart-beats and the CONNECT deadline. Partial files split the frame handlers by concern.
/// </summary>
public sealed partial class StompSession : IAsyncDisposable
{
    private const int MaxAdvisedProducers = 1000;
    private readonly StompTransport _transport;
    private readonly MessageBroker _broker;
    private readonly IBrokerAuthenticator _authenticator;
    private readonly StompServerOptions _options;
    private readonly ILogger _logger;
    private readonly StompFrameParser _parser;
    private readonly Channel<Outbound> _outbound = Channel.CreateUnbounded<Outbound>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _closing = new();
    private readonly CancellationTokenSource _stopReading;
    private readonly Dictionary<string, Subscription> _subscriptions = [];
    private readonly Dictionary<int, Subscription> _subscriptionsByNumber = [];
    private readonly Dictionary<string, Transaction> _transactions = [];
    /// <summary>Where this connection has sent (a producer there, for the producer advisories), up to <see cref="MaxAdvisedProducers"/>.</summary>
    private readonly HashSet<DestinationName> _producedTo = [];
    private readonly SemaphoreSlim _outboundRoom = new(0);
    private readonly AcceptedConnection? _accepted;
    // Until CONNECT negotiates, replies (an ERROR for a silent or garbled first frame) are written as 1.0 writes
    // them, unescaped and cleaned, which every version's parser reads; 1.2 escapes would reach a 1.0 client raw.
    private StompVersion _version = StompVersion.V1_0;
    private BrokerUser? _user;
    private string? _clientId;
    private int _nextSubscriptionNumber;
    private int _pendingReplies;
    private volatile bool _readPaused;
    private Task? _flowControl;
    private long _startTimestamp;
    private long _lastReadTimestamp;
    private long _lastWriteTimestamp;
    private int _incomingHeartbeatMs;
    private int _outgoingHeartbeatMs;

    /// <param name="accepted">set by a connector that admitted the connection itself; null, the session counts it</param>
    public StompSession(StompTransport transport, MessageBroker broker, IBrokerAuthenticator authenticator,
        StompServerOptions options, ILogger logger, string connectionId, AcceptedConnection? accepted = null)
    {
        _accepted = accepted;
        _transport = transport;
        _broker = broker;
        _authenticator = authenticator;
        _options = options;
        _logger = logger;
        _parser = new StompFrameParser(options.Limits);
        ConnectionId = connectionId;
        _stopReading = CancellationTokenSource.CreateLinkedTokenSource(_closing.Token);
    }

    public string ConnectionId { get; }

    public bool IsConnected => _user is not null;

    /// <summary>Serves the connection until the peer leaves, breaks the protocol, or <paramref name="cancellationToken"/> fires.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var scope = _logger.BeginScope(new Dictionary<string, object> { ["ConnectionId"] = ConnectionId, ["BrokerName"] = _broker.Name });
        using var link = cancellationToken.Register(() => _closing.Cancel());
        using var dismissal = _broker.Dismissal.Register(Dismiss);
        var counted = _accepted is null;
        if (counted && !_broker.TryOpenConnection())
        {
            EnqueueError(MaxConnectionsMessage(_broker), null);
            _outbound.Writer.TryComplete();
            await WriteLoopAsync();
            return;
        }
        StompLog.Connected(_logger, ConnectionId, _transport.RemoteAddress);
        _lastReadTimestamp = _lastWriteTimestamp = Environment.TickCount64;
        _startTimestamp = _accepted?.AcceptedAt ?? _lastReadTimestamp;
        try
        {
            var writer = WriteLoopAsync();
            var monitor = MonitorLoopAsync();
            await ReadLoopAsync();
            _outbound.Writer.TryComplete();
            // Let the last receipt or ERROR reach the client, but never wait on a peer that stopped reading.
            await writer.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            _closing.Cancel();
            await monitor.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        finally
        {
            _closing.Cancel();
            _registration?.Dispose();
            ReleaseBrokerState();
            if (_user is not null)
            {
                _broker.AdviseConnection(opened: false, ConnectionId, _user.Name, _clientId, _transport.RemoteAddress);
            }
            if (counted)
            {
                _broker.CloseConnection();
            }
            StompLog.Disconnected(_logger, ConnectionId);
        }
    }

    /// <summary>What a connection beyond the broker's <c>MaxConnections</c> is told.</summary>
    public static string MaxConnectionsMessage(MessageBroker broker) =>
        $"broker {broker.Name} already has {broker.Options.MaxConnections} connections (MaxConnections)";

    /// <summary>The broker hands over to its partner: tell the client to reconnect there, then close.</summary>
    private void Dismiss()
    {
        EnqueueError(_broker.DismissalMessage, null, reconnect: true);
        _stopReading.Cancel();
    }

    public async ValueTask DisposeAsync()
    {
        _closing.Cancel();
        _stopReading.Dispose();
        await _transport.DisposeAsync();
        _closing.Dispose();
        _outboundRoom.Dispose();
    }

    /// <summary>Returns in-flight messages and rolls back open transactions: the connection is gone.</summary>
    private void ReleaseBrokerState()
    {
        foreach (var (id, transaction) in _transactions)
        {
            transaction.Rollback();
            _broker.TransactionOutcomes.Record(_user!.Name, id, committed: false);
        }
        _transactions.Clear();
        foreach (var subscription in _subscriptions.Values)
        {
            subscription.Close();
            AdviseConsumers(subscription, added: false);
        }
        _subscriptions.Clear();
        _subscriptionsByNumber.Clear();
        PublishSubscriptionView();
        foreach (var destination in _producedTo)
        {
            _broker.AdviseProducer(destination, added: false, ConnectionId);
        }
        _producedTo.Clear();
    }

    private async Task ReadLoopAsync()
    {
        var input = _transport.Input;
        try
        {
            while (true)
            {
                var result = await input.ReadAsync(_stopReading.Token);
                var buffer = result.Buffer;
                if (!buffer.IsEmpty)
                {
                    Volatile.Write(ref _lastReadTimestamp, Environment.TickCount64);
                    _broker.Counters.AddBytesIn(buffer.Length);
                }
                while (!_broker.Writes.TryEnter())
                {
                    // A planned switchover: hold the frames until the partner serves (or the switchover is called off).
                    _readPaused = true;
                    await _broker.Writes.WhenOpen.WaitAsync(_stopReading.Token);
                }
                bool keepReading;
                try
                {
                    keepReading = HandleFrames(ref buffer);
                }
                finally
                {
                    _broker.Writes.Exit();
                }
                input.AdvanceTo(buffer.Start, buffer.End);
                if (!keepReading || result.IsCompleted)
                {
                    return;
                }
                await WaitForOutboundRoomAsync();
            }
        }
        catch (OperationCanceledException) when (_stopReading.IsCancellationRequested)
        {
            // Closing or dismissed: not an error.
        }
        catch (IOException e)
        {
            StompLog.ConnectionLost(_logger, ConnectionId, e.Message);
        }
    }

    /// <summary>Parses and handles every whole frame in the buffer; false when the connection must close.</summary>
    private bool HandleFrames(ref ReadOnlySequence<byte> buffer)
    {
        StompFrame? frame = null;
        try
        {
            while (_parser.TryParse(ref buffer, out frame))
            {
                if (!Handle(frame))
                {
                    return false;
                }
            }
            return true;
        }
        catch (StompProtocolException e)
        {
            StompLog.ProtocolError(_logger, ConnectionId, e.Message);
            EnqueueError(e.Message, frame?["receipt"]);
            return false;
        }
        catch (BrokerException e)
        {
            StompLog.Refused(_logger, ConnectionId, frame?.Command ?? "?", e.Message);
            EnqueueError(e.Message, frame?["receipt"]);
            return false;
        }
        catch (Exception e)
        {
            StompLog.UnexpectedError(_logger, e, ConnectionId, frame?.Command ?? "?");
            EnqueueError("internal error; the connection is closed", frame?["receipt"]);
            return false;
        }
    }

    /// <summary>Stops reading while the client leaves our replies unread, so it cannot grow our memory.</summary>
    private async ValueTask WaitForOutboundRoomAsync()
    {
        if (_flowControl is { } flowControl)
        {
            _flowControl = null;
            _readPaused = true;
            await flowControl;
        }
        while (Volatile.Read(ref _pendingReplies) > _options.MaxPendingFrames)
        {
            _readPaused = true;
            await _outboundRoom.WaitAsync(TimeSpan.FromMilliseconds(100), _stopReading.Token);
        }
        if (_readPaused)
        {
            _readPaused = false;
            Volatile.Write(ref _lastReadTimestamp, Environment.TickCount64);
        }
    }

    private async Task MonitorLoopAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        try
        {
            while (await timer.WaitForNextTickAsync(_closing.Token))
            {
                var now = Environment.TickCount64;
                if (!IsConnected && now - _startTimestamp > _options.ConnectTimeout.TotalMilliseconds)
                {
                    StompLog.ConnectTimedOut(_logger, ConnectionId, (long)_options.ConnectTimeout.TotalMilliseconds);
                    EnqueueError($"no CONNECT frame within {_options.ConnectTimeout.TotalSeconds:0.###} s", null);
                    return;
                }
                if (_outgoingHeartbeatMs > 0 && now - Volatile.Read(ref _lastWriteTimestamp) >= _outgoingHeartbeatMs)
                {
                    Volatile.Write(ref _lastWriteTimestamp, now);
                    _outbound.Writer.TryWrite(Outbound.Heartbeat);
                }
                // A connection we stopped reading from for flow control is not dead, only throttled.
                if (_incomingHeartbeatMs > 0 && !_readPaused
                    && now - Volatile.Read(ref _lastReadTimestamp) > _incomingHeartbeatMs * _options.HeartbeatGraceFactor)
                {
                    StompLog.HeartbeatTimeout(_logger, ConnectionId, _incomingHeartbeatMs);
                    await _closing.CancelAsync();
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Closing.
        }
    }
}
