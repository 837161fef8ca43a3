using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Broker.Stomp.Protocol;

namespace Broker.Testing;

/// <summary>
/// A bare STOMP peer for tests: sends exactly the bytes or frames a test gives it and reads frames back with
/// a timeout, so tests can also misbehave on purpose. Works over TCP or WebSocket.
/// </summary>
public sealed class StompTestClient : IAsyncDisposable
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);
    private readonly Func<ReadOnlyMemory<byte>, Task> _send;
    private readonly PipeReader _input;
    private readonly IAsyncDisposable _connection;
    private readonly StompFrameParser _parser = new(StompLimits.Default);

    private StompTestClient(Func<ReadOnlyMemory<byte>, Task> send, PipeReader input, IAsyncDisposable connection)
    {
        _send = send;
        _input = input;
        _connection = connection;
    }

    public StompVersion Version { get; set; } = StompVersion.V1_2;

    /// <param name="from">The local address to connect from (127.0.0.2, say: another client as far as the broker can tell).</param>
    public static async Task<StompTestClient> ConnectTcpAsync(int port, System.Net.IPAddress? from = null)
    {
        var tcp = from is null ? new TcpClient() : new TcpClient(new System.Net.IPEndPoint(from, 0));
        tcp.NoDelay = true;
        await tcp.ConnectAsync("127.0.0.1", port);
        var stream = tcp.GetStream();
        return new StompTestClient(bytes => stream.WriteAsync(bytes).AsTask(), PipeReader.Create(stream), new Disposer(() => tcp.Dispose()));
    }

    /// <summary>STOMP over TLS; the test's self-signed certificate is accepted.</summary>
    public static async Task<StompTestClient> ConnectTlsAsync(int port)
    {
        var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync("127.0.0.1", port);
        var tls = new System.Net.Security.SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync("localhost");
        return new StompTestClient(bytes => tls.WriteAsync(bytes).AsTask(), PipeReader.Create(tls), new Disposer(() =>
        {
            tls.Dispose();
            tcp.Dispose();
        }));
    }

    public static async Task<StompTestClient> ConnectWebSocketAsync(Uri uri, string subprotocol = "v12.stomp")
    {
        var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol(subprotocol);
        await socket.ConnectAsync(uri, CancellationToken.None);
        var pipe = new Pipe();
        _ = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    var memory = pipe.Writer.GetMemory(8192);
                    var result = await socket.ReceiveAsync(memory, CancellationToken.None);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        break;
                    }
                    pipe.Writer.Advance(result.Count);
                    await pipe.Writer.FlushAsync();
                }
            }
            catch (WebSocketException)
            {
            }
            await pipe.Writer.CompleteAsync();
        });
        return new StompTestClient(
            bytes => socket.SendAsync(bytes, WebSocketMessageType.Text, true, CancellationToken.None).AsTask(),
            pipe.Reader,
            new Disposer(() => socket.Dispose()));
    }

    /// <summary>CONNECTs and returns the CONNECTED frame (or the ERROR that came instead).</summary>
    public async Task<StompFrame> ConnectAsync(string login = "admin", string? passcode = null, string acceptVersion = "1.2", params (string, string)[] extra)
    {
        await SendAsync(new StompFrame("CONNECT",
            [("accept-version", acceptVersion), ("host", "localhost"), ("login", login), ("passcode", passcode ?? login), .. extra]));
        var reply = await ReceiveAsync();
        if (reply.Command == "CONNECTED" && StompVersions.TryParse(reply["version"] ?? "1.0", out var version))
        {
            Version = version;
        }
        return reply;
    }

    public Task SendAsync(StompFrame frame)
    {
        var buffer = new ArrayBufferWriter<byte>();
        StompFrameWriter.Write(buffer, frame, Version);
        return _send(buffer.WrittenMemory);
    }

    public Task SendAsync(string command, params (string, string)[] headers) => SendAsync(new StompFrame(command, headers));

    public Task SendTextAsync(string destination, string body, params (string, string)[] headers) =>
        SendAsync(new StompFrame("SEND",
            [new("destination", destination), .. headers.Select(h => KeyValuePair.Create(h.Item1, h.Item2))],
            Encoding.UTF8.GetBytes(body)));

    public Task SendRawAsync(byte[] bytes) => _send(bytes);

    /// <summary>The next frame; heart-beat EOLs are skipped. Throws on timeout or when the connection closed.</summary>
    public async Task<StompFrame> ReceiveAsync(TimeSpan? timeout = null)
    {
        return await TryReceiveAsync(timeout ?? DefaultTimeout) ?? throw new EndOfStreamException("the broker closed the connection");
    }

    /// <summary>The next frame, or null when the broker closed the connection.</summary>
    public async Task<StompFrame?> TryReceiveAsync(TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? DefaultTimeout);
        while (true)
        {
            var result = await _input.ReadAsync(cancel.Token);
            var buffer = result.Buffer;
            if (_parser.TryParse(ref buffer, out var frame))
            {
                _input.AdvanceTo(buffer.Start);
                return frame;
            }
            _input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                return null;
            }
        }
    }

    /// <summary>Every frame until none arrives for <paramref name="quiet"/> (or the connection closes).</summary>
    public async Task<List<StompFrame>> DrainAsync(TimeSpan quiet)
    {
        var frames = new List<StompFrame>();
        try
        {
            while (await TryReceiveAsync(quiet) is { } frame)
            {
                frames.Add(frame);
            }
        }
        catch (OperationCanceledException)
        {
        }
        return frames;
    }

    /// <summary>Reads for <paramref name="duration"/> and counts heart-beat EOLs; a frame arriving meanwhile fails.</summary>
    public async Task<int> CountHeartbeatsAsync(TimeSpan duration)
    {
        var count = 0;
        using var cancel = new CancellationTokenSource(duration);
        try
        {
            while (true)
            {
                var result = await _input.ReadAsync(cancel.Token);
                var buffer = result.Buffer;
                foreach (var segment in buffer)
                {
                    foreach (var b in segment.Span)
                    {
                        count += b == (byte)'\n' ? 1 : b == (byte)'\r' ? 0 : throw new InvalidOperationException("a frame arrived");
                    }
                }
                _input.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                {
                    return count;
                }
            }
        }
        catch (OperationCanceledException)
        {
            return count;
        }
    }

    /// <summary>Reads until the broker closes the connection; true if it did within the timeout.</summary>
    public async Task<bool> WaitForCloseAsync(TimeSpan? timeout = null)
    {
        try
        {
            while (await TryReceiveAsync(timeout ?? DefaultTimeout) is not null)
            {
            }
            return true;
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            return true;
        }
    }

    public async ValueTask DisposeAsync() => await _connection.DisposeAsync();

    private sealed class Disposer(Action dispose) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            dispose();
            return ValueTask.CompletedTask;
        }
    }
}
