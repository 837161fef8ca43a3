using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using Broker.Stomp.Protocol;

namespace BrokerBench;

/// <summary>
/// A minimal STOMP client for load generation: one TCP connection (Nagle off), frames encoded and parsed with the
/// broker's own codec. Writes are buffered until <see cref="FlushAsync"/>; one task writes, one task reads.
/// </summary>
public sealed class StompClient : IAsyncDisposable
{
    private static readonly StompLimits ClientLimits = new() { MaxBodyBytes = 128 * 1024 * 1024, MaxHeaders = 10_000 };

    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly PipeReader _reader;
    private readonly StompFrameParser _parser = new(ClientLimits);
    private readonly ArrayBufferWriter<byte> _out = new(64 * 1024);
    private ReadOnlySequence<byte> _buffer;
    private bool _hasBuffer;
    private bool _completed;

    private StompClient(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
        _reader = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, leaveOpen: true));
    }

    public StompVersion Version { get; private set; } = StompVersion.V1_2;

    public string Server { get; private set; } = "";

    public int Buffered => _out.WrittenCount;

    public static async Task<StompClient> ConnectAsync(BenchOptions o, CancellationToken ct)
    {
        var tcp = new TcpClient { NoDelay = true, ReceiveBufferSize = 256 * 1024, SendBufferSize = 256 * 1024 };
        try
        {
            await tcp.ConnectAsync(o.Host, o.Port, ct);
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
        var client = new StompClient(tcp);
        try
        {
            client.Enqueue(new StompFrame("CONNECT",
                ("accept-version", "1.2,1.1"), ("host", o.VirtualHost), ("login", o.Login), ("passcode", o.Passcode), ("heart-beat", "0,0")));
            await client.FlushAsync();
            var reply = await client.ReadFrameAsync() ?? throw new BenchException("connection closed before CONNECTED");
            if (reply.Command == "ERROR")
            {
                throw new BenchException($"CONNECT refused: {reply["message"]} {System.Text.Encoding.UTF8.GetString(reply.Body.Span)}");
            }
            if (reply.Command != "CONNECTED")
            {
                throw new BenchException($"expected CONNECTED, got {reply.Command}");
            }
            client.Version = StompVersions.TryParse(reply["version"] ?? "1.0", out var v) ? v : StompVersion.V1_0;
            client.Server = reply["server"] ?? "";
            client._parser.Version = client.Version;
            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    public void Enqueue(StompFrame frame) => StompFrameWriter.Write(_out, frame, Version);

    public async ValueTask FlushAsync()
    {
        if (_out.WrittenCount == 0)
        {
            return;
        }
        await _stream.WriteAsync(_out.WrittenMemory);
        _out.ResetWrittenCount();
    }

    /// <summary>Wakes a pending <see cref="ReadFrameAsync"/>, which then returns null.</summary>
    public void CancelPendingRead() => _reader.CancelPendingRead();

    /// <summary>A frame already received and buffered, without waiting for the network.</summary>
    public bool TryReadBuffered(out StompFrame? frame)
    {
        frame = null;
        return _hasBuffer && _parser.TryParse(ref _buffer, out frame);
    }

    /// <summary>The next frame; null when the connection closed or the read was cancelled.</summary>
    public async ValueTask<StompFrame?> ReadFrameAsync()
    {
        while (true)
        {
            if (_hasBuffer)
            {
                if (_parser.TryParse(ref _buffer, out var frame))
                {
                    return frame;
                }
                if (_completed)
                {
                    return null;
                }
                _reader.AdvanceTo(_buffer.Start, _buffer.End);
                _hasBuffer = false;
            }
            ReadResult result;
            try
            {
                result = await _reader.ReadAsync();
            }
            catch (IOException)
            {
                return null;
            }
            if (result.IsCanceled)
            {
                _buffer = result.Buffer;
                _hasBuffer = true;
                // Hand back whatever complete frame is buffered, else report the cancellation.
                if (_parser.TryParse(ref _buffer, out var buffered))
                {
                    return buffered;
                }
                return null;
            }
            _buffer = result.Buffer;
            _hasBuffer = true;
            _completed = result.IsCompleted;
        }
    }

    /// <summary>Reads until the RECEIPT with <paramref name="id"/>; MESSAGE frames met on the way go to <paramref name="onOther"/>.</summary>
    public async ValueTask WaitReceiptAsync(string id, Action<StompFrame>? onOther = null)
    {
        while (true)
        {
            var frame = await ReadFrameAsync() ?? throw new BenchException($"connection closed while waiting for receipt {id}");
            switch (frame.Command)
            {
                case "RECEIPT" when frame["receipt-id"] == id:
                    return;
                case "RECEIPT":
                    throw new BenchException($"unexpected receipt {frame["receipt-id"]} while waiting for {id}");
                case "ERROR":
                    throw new BenchException($"ERROR from broker: {frame["message"]} {System.Text.Encoding.UTF8.GetString(frame.Body.Span)}".Trim());
                default:
                    onOther?.Invoke(frame);
                    break;
            }
        }
    }

    public async ValueTask DisconnectAsync(TimeSpan timeout)
    {
        try
        {
            Enqueue(new StompFrame("DISCONNECT", ("receipt", "bye")));
            await FlushAsync();
            await WaitReceiptAsync("bye").AsTask().WaitAsync(timeout);
        }
        catch (Exception e) when (e is IOException or TimeoutException or SocketException or ObjectDisposedException)
        {
            // Best effort.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _reader.CompleteAsync();
        _tcp.Dispose();
    }
}

public sealed class BenchException(string message) : Exception(message);
