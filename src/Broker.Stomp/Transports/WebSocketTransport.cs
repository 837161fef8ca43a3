using System.Buffers;
using System.IO.Pipelines;
using System.Net.WebSockets;
using System.Text.Unicode;

namespace Broker.Stomp.Transports;

/// <summary>
/// STOMP over WebSocket (subprotocols <c>v10.stomp</c>, <c>v11.stomp</c>, <c>v12.stomp</c>): incoming messages
/// are pumped into a pipe as one byte stream (a message may hold several frames or half of one); each
/// outgoing frame is one message, text when it is valid UTF-8 (what browser clients expect), binary otherwise.
/// </summary>
public sealed class WebSocketTransport : StompTransport
{
    private readonly WebSocket _socket;
    private readonly Pipe _incoming = new(new PipeOptions(pauseWriterThreshold: 1024 * 1024, resumeWriterThreshold: 512 * 1024));
    private readonly ArrayBufferWriter<byte> _frame = new(16 * 1024);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _pump;

    public WebSocketTransport(WebSocket socket, string remoteAddress)
    {
        _socket = socket;
        RemoteAddress = remoteAddress;
        _pump = PumpAsync();
    }

    public override PipeReader Input => _incoming.Reader;

    public override string RemoteAddress { get; }

    public override string Kind => "websocket";

    public override IBufferWriter<byte> BeginFrame()
    {
        _frame.ResetWrittenCount();
        return _frame;
    }

    public override async ValueTask EndFrameAsync(CancellationToken cancellationToken)
    {
        var type = Utf8.IsValid(_frame.WrittenSpan) ? WebSocketMessageType.Text : WebSocketMessageType.Binary;
        await _socket.SendAsync(_frame.WrittenMemory, type, endOfMessage: true, cancellationToken);
    }

    public override ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public override async ValueTask DisposeAsync()
    {
        // Close politely first: cancelling a pending receive aborts the socket and would drop the frames
        // (an ERROR, a DISCONNECT's receipt) that were sent just before.
        if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
            {
                // Closing is a courtesy; the connection ends either way.
            }
        }
        // The peer answers the close, which ends the pump; a peer that does not is cut off.
        await Task.WhenAny(_pump, Task.Delay(TimeSpan.FromSeconds(2)));
        _stop.Cancel();
        await _pump;
        _socket.Dispose();
        _stop.Dispose();
    }

    private async Task PumpAsync()
    {
        var writer = _incoming.Writer;
        try
        {
            while (true)
            {
                var memory = writer.GetMemory(16 * 1024);
                var result = await _socket.ReceiveAsync(memory, _stop.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }
                writer.Advance(result.Count);
                var flushed = await writer.FlushAsync(_stop.Token);
                if (flushed.IsCompleted)
                {
                    break;
                }
            }
            await writer.CompleteAsync();
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
            await writer.CompleteAsync();
        }
    }
}
