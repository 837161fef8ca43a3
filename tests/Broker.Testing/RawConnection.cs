using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace Broker.Testing;

/// <summary>
/// A plain TCP socket to a connector, below any STOMP parsing: for tests that send exactly the bytes they mean
/// (a silent peer, half a preamble, a NUL inside a header) and look at exactly the bytes that come back.
/// </summary>
public sealed class RawConnection : IAsyncDisposable
{
    private readonly Socket _socket;

    private RawConnection(Socket socket) => _socket = socket;

    public static async Task<RawConnection> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync("127.0.0.1", port);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new RawConnection(socket);
    }

    public async Task SendAsync(byte[] bytes) => await _socket.SendAsync(bytes, SocketFlags.None);

    public Task SendAsync(string text) => SendAsync(Encoding.UTF8.GetBytes(text));

    /// <summary>
    /// Everything the peer sends until it closes the connection. Throws <see cref="TimeoutException"/> when it is
    /// still open after <paramref name="timeout"/>; a reset after data counts as closed.
    /// </summary>
    public async Task<byte[]> ReadUntilClosedAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        var received = new MemoryStream();
        var buffer = new byte[8192];
        try
        {
            while (true)
            {
                var read = await _socket.ReceiveAsync(buffer, SocketFlags.None, cancel.Token);
                if (read == 0)
                {
                    return received.ToArray();
                }
                received.Write(buffer, 0, read);
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"the connection is still open after {timeout.TotalSeconds:0.#} s (received {received.Length} bytes)");
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
        {
            return received.ToArray();
        }
    }

    /// <summary>What the peer sends until <paramref name="frames"/> NUL bytes (frame ends) have arrived; no more is read.</summary>
    public async Task<byte[]> ReadFramesAsync(int frames, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        var received = new MemoryStream();
        var one = new byte[1];
        try
        {
            // A byte at a time: whatever follows the last NUL stays unread for the next call.
            while (frames > 0)
            {
                if (await _socket.ReceiveAsync(one, SocketFlags.None, cancel.Token) == 0)
                {
                    throw new EndOfStreamException($"the connection closed {frames} frame(s) early");
                }
                received.WriteByte(one[0]);
                frames -= one[0] == 0 ? 1 : 0;
            }
            return received.ToArray();
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{frames} frame(s) missing after {timeout.TotalSeconds:0.#} s (received {received.Length} bytes)");
        }
    }

    /// <summary>How long the peer kept the connection open from now (it must close within <paramref name="timeout"/>).</summary>
    public async Task<TimeSpan> TimeUntilClosedAsync(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        await ReadUntilClosedAsync(timeout);
        return clock.Elapsed;
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
