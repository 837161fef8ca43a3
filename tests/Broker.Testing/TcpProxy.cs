using System.Net;
using System.Net.Sockets;

namespace Broker.Testing;

/// <summary>
/// A TCP forwarder between a slave and its master (the slave's MasterConnectorUri points here) that a test can
/// cut (every connection closed, new ones closed at once) and heal, or stall (bytes held, nothing closed) and resume;
/// or a client's link to its broker, dropped at a chosen frame (<see cref="DropAndCloseOnce"/>).
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _connections = [];
    private readonly Task _accepting;
    private TaskCompletionSource _forwarding = Open();
    private volatile bool _cut;
    private Trap? _trap;

    private TcpProxy(int targetPort)
    {
        _targetPort = targetPort;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync();
    }

    public int Port { get; }

    public string Uri => $"tcp://127.0.0.1:{Port}";

    /// <summary>Connections accepted (and forwarded) so far.</summary>
    public int Accepted { get; private set; }

    public static TcpProxy Start(int targetPort) => new(targetPort);

    /// <summary>Closes every connection and refuses (closes at once) new ones until <see cref="Heal"/>.</summary>
    public void Cut()
    {
        _cut = true;
        CloseAll();
    }

    public void Heal() => _cut = false;

    /// <summary>
    /// Once: the first chunk of bytes going that way (towards the server, or back to the client) that contains
    /// <paramref name="text"/> is dropped and every connection closed, as if the link died right there; with
    /// <paramref name="thenRefuse"/> new connections are refused too, until <see cref="Heal"/>. The task completes then.
    /// </summary>
    public Task DropAndCloseOnce(bool towardsServer, string text, bool thenRefuse = false)
    {
        var trap = new Trap(towardsServer, System.Text.Encoding.UTF8.GetBytes(text), thenRefuse);
        Volatile.Write(ref _trap, trap);
        return trap.Sprung.Task;
    }

    /// <summary>Stops forwarding without closing: bytes read are held until <see cref="Resume"/>.</summary>
    public void Stall()
    {
        lock (_connections)
        {
            if (_forwarding.Task.IsCompleted)
            {
                _forwarding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    public void Resume()
    {
        lock (_connections)
        {
            _forwarding.TrySetResult();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        CloseAll();
        await _accepting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private static TaskCompletionSource Open()
    {
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        open.SetResult();
        return open;
    }

    private void CloseAll()
    {
        lock (_connections)
        {
            foreach (var connection in _connections)
            {
                connection.Dispose();
            }
            _connections.Clear();
        }
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient downstream;
            try
            {
                downstream = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            if (_cut)
            {
                downstream.Dispose();
                continue;
            }
            var upstream = new TcpClient { NoDelay = true };
            try
            {
                await upstream.ConnectAsync(IPAddress.Loopback, _targetPort, _stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException)
            {
                upstream.Dispose();
                downstream.Dispose();
                continue;
            }
            downstream.NoDelay = true;
            lock (_connections)
            {
                _connections.Add(downstream);
                _connections.Add(upstream);
            }
            Accepted++;
            _ = PumpAsync(downstream, upstream, towardsServer: true);
            _ = PumpAsync(upstream, downstream, towardsServer: false);
        }
    }

    private async Task PumpAsync(TcpClient from, TcpClient to, bool towardsServer)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            var source = from.GetStream();
            var target = to.GetStream();
            while (true)
            {
                var read = await source.ReadAsync(buffer, _stop.Token);
                Task gate;
                lock (_connections)
                {
                    gate = _forwarding.Task;
                }
                // Stalled: hold what was read (and the end of the stream) until resumed.
                await gate.WaitAsync(_stop.Token);
                if (read == 0)
                {
                    break;
                }
                if (Volatile.Read(ref _trap) is { } trap && trap.TowardsServer == towardsServer
                    && buffer.AsSpan(0, read).IndexOf(trap.Text) >= 0 && Interlocked.CompareExchange(ref _trap, null, trap) == trap)
                {
                    _cut = trap.ThenRefuse;
                    CloseAll();
                    trap.Sprung.TrySetResult();
                    break;
                }
                await target.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
        }
        from.Dispose();
        to.Dispose();
    }

    private sealed record Trap(bool TowardsServer, byte[] Text, bool ThenRefuse)
    {
        public TaskCompletionSource Sprung { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
