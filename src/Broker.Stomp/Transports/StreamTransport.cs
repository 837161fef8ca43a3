using System.Buffers;
using System.IO.Pipelines;

namespace Broker.Stomp.Transports;

/// <summary>STOMP over a byte stream: a socket's <see cref="System.Net.Sockets.NetworkStream"/> or a TLS stream.</summary>
public sealed class StreamTransport(Stream stream, string remoteAddress, PipeReader? input = null) : StompTransport
{
    private readonly PipeReader _input = input ?? CreateReader(stream);
    private readonly PipeWriter _output = PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: 16 * 1024, leaveOpen: true));

    public override PipeReader Input => _input;

    public static PipeReader CreateReader(Stream stream) =>
        PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, leaveOpen: true));

    public override string RemoteAddress { get; } = remoteAddress;

    public override string Kind => stream is System.Net.Security.SslStream ? "tls" : "tcp";

    public override IBufferWriter<byte> BeginFrame() => _output;

    public override ValueTask EndFrameAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public override async ValueTask FlushAsync(CancellationToken cancellationToken) =>
        await _output.FlushAsync(cancellationToken);

    public override async ValueTask DisposeAsync()
    {
        await _input.CompleteAsync();
        try
        {
            await _output.CompleteAsync();
        }
        catch (IOException)
        {
            // The peer is gone; whatever was unflushed has nowhere to go.
        }
        await stream.DisposeAsync();
    }
}
