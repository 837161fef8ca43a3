using System.Buffers;
using System.IO.Pipelines;

namespace Broker.Stomp.Transports;

/// <summary>
/// The bytes under a STOMP session. A stream transport (TCP, TLS) writes frames back to back and flushes
/// a batch at once; a WebSocket transport sends each frame as one message.
/// </summary>
public abstract class StompTransport : IAsyncDisposable
{
    public abstract PipeReader Input { get; }

    /// <summary>Where the next frame is rendered.</summary>
    public abstract IBufferWriter<byte> BeginFrame();

    /// <summary>Ends the frame rendered since <see cref="BeginFrame"/>.</summary>
    public abstract ValueTask EndFrameAsync(CancellationToken cancellationToken);

    /// <summary>Pushes every ended frame to the peer.</summary>
    public abstract ValueTask FlushAsync(CancellationToken cancellationToken);

    public abstract string RemoteAddress { get; }

    /// <summary>What carries the frames, as the console shows it: <c>tcp</c>, <c>tls</c> or <c>websocket</c>.</summary>
    public abstract string Kind { get; }

    public abstract ValueTask DisposeAsync();
}
