using System.Buffers;
using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;
using Broker.Stomp.Protocol;

namespace Broker.Client;

/// <summary>
/// One TCP (or TLS) link to one broker: the CONNECT handshake, a read loop that hands every frame to the
/// connection, heart-beats both ways. It knows nothing of failover; when it dies it says so once through
/// <c>onClosed</c>. Writes are serialised by the connection's write lock, which the caller holds.
/// </summary>
internal sealed class StompLink : IAsyncDisposable
{
    private readonly Stream _stream;
    private readonly TcpClient _tcp;
    private readonly PipeReader _reader;
    private readonly SemaphoreSlim _writeLock;
    private readonly CancellationTokenSource _stop = new();
    private readonly Action<StompLink, StompFrame> _onFrame;
    private readonly Action<StompLink, Exception?> _onClosed;
    private readonly StompFrameParser _parser = new(StompLimits.Default);
    private long _lastReadTicks = Environment.TickCount64;
    private long _lastWriteTicks = Environment.TickCount64;
    private int _closed;
    private Task _loops = Task.CompletedTask;

    private StompLink(BrokerEndpoint endpoint, long generation, TcpClient tcp, Stream stream, SemaphoreSlim writeLock,
        Action<StompLink, StompFrame> onFrame, Action<StompLink, Exception?> onClosed)
    {
        Endpoint = endpoint;
        Generation = generation;
        _tcp = tcp;
        _stream = stream;
        _reader = PipeReader.Create(stream);
        _writeLock = writeLock;
        _onFrame = onFrame;
        _onClosed = onClosed;
    }

    public BrokerEndpoint Endpoint { get; }

    /// <summary>Counts links over the connection's life; a delivery is acknowledged only on its own link.</summary>
    public long Generation { get; }

    public bool IsOpen => Volatile.Read(ref _closed) == 0;

    public StompFrame Connected { get; private set; } = null!;

    /// <summary>Connects, sends CONNECT and waits for CONNECTED; an ERROR reply throws <see cref="StompErrorException"/>.</summary>
    public static async Task<StompLink> ConnectAsync(BrokerEndpoint endpoint, StompClientOptions options, long generation, SemaphoreSlim writeLock,
        Action<StompLink, StompFrame> onFrame, Action<StompLink, Exception?> onClosed, CancellationToken cancellationToken)
    {
        var tcp = new TcpClient { NoDelay = endpoint.TcpNoDelay };
        StompLink? link = null;
        try
        {
            using (var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                connectTimeout.CancelAfter(endpoint.ConnectionTimeout);
                await tcp.ConnectAsync(endpoint.Host, endpoint.Port, connectTimeout.Token);
            }
            if (endpoint.KeepAlive)
            {
                tcp.Client.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            }
            Stream stream = tcp.GetStream();
            if (endpoint.UseTls)
            {
                var tls = new SslStream(stream, false, options.RemoteCertificateValidation);
                await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = endpoint.Host }, cancellationToken);
                stream = tls;
            }
            link = new StompLink(endpoint, generation, tcp, stream, writeLock, onFrame, onClosed);
            await link.HandshakeAsync(options, cancellationToken);
            return link;
        }
        catch
        {
            if (link is not null)
            {
                await link.DisposeAsync();
            }
            tcp.Dispose();
            throw;
        }
    }

    private async Task HandshakeAsync(StompClientOptions options, CancellationToken cancellationToken)
    {
        var headers = new List<(string, string)>
        {
            ("accept-version", "1.2"),
            ("host", options.VirtualHost ?? Endpoint.Host),
            ("heart-beat", $"{(long)options.HeartbeatSend.TotalMilliseconds},{(long)options.HeartbeatReceive.TotalMilliseconds}"),
        };
        if (options.Login is not null)
        {
            headers.Add(("login", options.Login));
        }
        if (options.Passcode is not null)
        {
            headers.Add(("passcode", options.Passcode));
        }
        if (options.ClientId is not null)
        {
            headers.Add(("client-id", options.ClientId));
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ConnectTimeout);
        await WriteAsync(new StompFrame("CONNECT", [.. headers]), timeout.Token);

        StompFrame? reply = null;
        try
        {
            while (reply is null)
            {
                var result = await _reader.ReadAsync(timeout.Token);
                var buffer = result.Buffer;
                _parser.TryParse(ref buffer, out reply);
                _reader.AdvanceTo(buffer.Start, buffer.End);
                if (reply is null && result.IsCompleted)
                {
                    throw new IOException($"{Endpoint} closed the connection during CONNECT");
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"{Endpoint} did not answer CONNECT within {options.ConnectTimeout.TotalSeconds} s");
        }
        if (reply.Command == "ERROR")
        {
            throw StompConnection.ToException(reply);
        }
        if (reply.Command != "CONNECTED")
        {
            throw new IOException($"{Endpoint} answered CONNECT with {reply.Command}");
        }
        Connected = reply;

        // heart-beat: we send every max(ours, theirs) when both are non-zero; they must be heard within 2x theirs.
        var (serverSend, serverReceive) = ParseHeartbeat(reply["heart-beat"]);
        var sendEvery = options.HeartbeatSend > TimeSpan.Zero && serverReceive > 0
            ? Math.Max((long)options.HeartbeatSend.TotalMilliseconds, serverReceive) : 0;
        var expectEvery = options.HeartbeatReceive > TimeSpan.Zero && serverSend > 0
            ? Math.Max((long)options.HeartbeatReceive.TotalMilliseconds, serverSend) : 0;
        _loops = Task.WhenAll(Task.Run(ReadLoopAsync), Task.Run(() => HeartbeatLoopAsync(sendEvery, expectEvery)));
    }

    private static (long Send, long Receive) ParseHeartbeat(string? header)
    {
        var parts = (header ?? "0,0").Split(',');
        return parts.Length == 2 && long.TryParse(parts[0], out var send) && long.TryParse(parts[1], out var receive)
            ? (send, receive) : (0, 0);
    }

    /// <summary>Writes one frame; the caller holds the connection's write lock. A failure closes the link.</summary>
    public async Task WriteAsync(StompFrame frame, CancellationToken cancellationToken)
    {
        var bytes = StompFrameWriter.ToArray(frame, StompVersion.V1_2, UnrepresentableHeaders.Throw);
        try
        {
            await _stream.WriteAsync(bytes, cancellationToken);
            await _stream.FlushAsync(cancellationToken);
            Volatile.Write(ref _lastWriteTicks, Environment.TickCount64);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            Close(e);
            throw new IOException($"the link to {Endpoint} is lost: {e.Message}", e);
        }
    }

    private async Task ReadLoopAsync()
    {
        Exception? error = null;
        try
        {
            while (true)
            {
                var result = await _reader.ReadAsync(_stop.Token);
                var buffer = result.Buffer;
                Volatile.Write(ref _lastReadTicks, Environment.TickCount64);
                while (_parser.TryParse(ref buffer, out var frame))
                {
                    _onFrame(this, frame);
                }
                _reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    error = new IOException($"{Endpoint} closed the connection");
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            error = e;
        }
        Close(error);
    }

    private async Task HeartbeatLoopAsync(long sendEveryMs, long expectEveryMs)
    {
        if (sendEveryMs == 0 && expectEveryMs == 0)
        {
            return;
        }
        var tick = TimeSpan.FromMilliseconds(Math.Max(10, Math.Min(sendEveryMs > 0 ? sendEveryMs : long.MaxValue, expectEveryMs > 0 ? expectEveryMs : long.MaxValue) / 2));
        using var timer = new PeriodicTimer(tick);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                var now = Environment.TickCount64;
                if (expectEveryMs > 0 && now - Volatile.Read(ref _lastReadTicks) > 2 * expectEveryMs)
                {
                    Close(new TimeoutException($"{Endpoint} sent nothing for {2 * expectEveryMs} ms (heart-beat)"));
                    return;
                }
                if (sendEveryMs > 0 && now - Volatile.Read(ref _lastWriteTicks) >= sendEveryMs / 2
                    && await _writeLock.WaitAsync(0, _stop.Token))
                {
                    try
                    {
                        await _stream.WriteAsync("\n"u8.ToArray(), _stop.Token);
                        Volatile.Write(ref _lastWriteTicks, Environment.TickCount64);
                    }
                    finally
                    {
                        _writeLock.Release();
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            Close(e);
        }
    }

    /// <summary>Closes the link (once) and reports it; the reason is null for a close we asked for.</summary>
    public void Close(Exception? reason)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }
        _stop.Cancel();
        try
        {
            _tcp.Client.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
        _tcp.Dispose();
        _onClosed(this, reason);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            _stop.Cancel();
            _tcp.Dispose();
        }
        try
        {
            await _loops;
        }
        catch (Exception)
        {
            // Already reported through onClosed.
        }
        _stop.Dispose();
    }
}
