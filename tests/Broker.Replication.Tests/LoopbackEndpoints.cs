using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Broker.Core.Connections;
using Broker.Server;

namespace Broker.Replication.Tests;

/// <summary>
/// A broker's client port without STOMP: a real loopback listener that hands the replication link to the
/// lifecycle (as the host's connectors do after the preamble) and can drop its connections or die on demand.
/// </summary>
internal sealed class LoopbackEndpoints(int port, IConnectionHandoff handoff) : IClientEndpoints
{
    private readonly Lock _lock = new();
    private readonly List<Socket> _accepted = [];
    private TcpListener? _listener;

    public bool IsOpen => _listener is not null;

    public int ClientPort { get; } = port;

    public bool ClientTls => false;

    public void Open()
    {
        var listener = new TcpListener(IPAddress.Loopback, ClientPort);
        try
        {
            listener.Start();
        }
        catch (SocketException e)
        {
            throw new EndpointUnavailableException($"port {ClientPort} is in use", e);
        }
        _listener = listener;
        _ = Task.Run(() => AcceptAsync(listener));
    }

    public Task CloseAsync()
    {
        Kill();
        return Task.CompletedTask;
    }

    /// <summary>Closes the listener and every connection at once, as a killed process's kernel does.</summary>
    public void Kill()
    {
        _listener?.Stop();
        _listener = null;
        DropConnections();
    }

    /// <summary>Cuts every accepted connection; the listener stays (a link lost while the broker lives).</summary>
    public void DropConnections()
    {
        List<Socket> accepted;
        lock (_lock)
        {
            accepted = [.. _accepted];
            _accepted.Clear();
        }
        foreach (var socket in accepted)
        {
            socket.Dispose();
        }
    }

    private async Task AcceptAsync(TcpListener listener)
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptSocketAsync();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            lock (_lock)
            {
                _accepted.Add(socket);
            }
            _ = ServeAsync(socket);
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        try
        {
            await using var stream = new NetworkStream(socket, ownsSocket: true);
            var input = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
            var preamble = new byte[handoff.Preamble.Length];
            await stream.ReadExactlyAsync(preamble);
            if (preamble.AsSpan().SequenceEqual(handoff.Preamble.Span))
            {
                await handoff.HandleAsync(stream, input, socket.RemoteEndPoint!.ToString()!, CancellationToken.None);
            }
        }
        catch (Exception e) when (e is IOException or EndOfStreamException or ObjectDisposedException or SocketException)
        {
            // Cut by the test, or the peer left.
        }
    }
}
