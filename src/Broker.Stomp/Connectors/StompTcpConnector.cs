using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Broker.Core;
using Broker.Core.Events;
using Broker.Core.Security;
using Broker.Stomp.Sessions;
using Broker.Stomp.Transports;
using Microsoft.Extensions.Logging;

namespace Broker.Stomp.Connectors;

/// <summary>
/// A listening socket for one connector URI, opened and closed by the broker's host at run time (a slave
/// opens its connectors only when it takes over). It is not a Kestrel endpoint, so <c>--urls</c> stays free
/// for HTTP and the connector can start after the host has.
/// </summary>
public sealed class StompTcpConnector(
    ConnectorUri uri,
    MessageBroker broker,
    IBrokerAuthenticator authenticator,
    StompServerOptions options,
    X509Certificate2? certificate,
    ILoggerFactory loggerFactory,
    IConnectionHandoff? handoff = null) : IAsyncDisposable
{
    private static long s_nextConnectionId;
    private readonly ILogger _logger = loggerFactory.CreateLogger<StompTcpConnector>();
    private readonly ILogger _sessionLogger = loggerFactory.CreateLogger<StompSession>();
    private readonly ConcurrentDictionary<StompSession, Task> _sessions = new();
    private Socket? _listener;
    private CancellationTokenSource? _stop;
    private Task? _acceptLoop;

    public ConnectorUri Uri { get; } = uri;

    public bool IsOpen => _listener is not null;

    /// <summary>The port bound while open; the configured one otherwise.</summary>
    public int BoundPort { get; private set; } = uri.Port;

    public int ConnectionCount => _sessions.Count;

    public void Start()
    {
        if (_listener is not null)
        {
            return;
        }
        var listener = new Socket(Uri.BindAddress.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // No SocketOptionName.ReuseAddress: on Linux .NET turns it into SO_REUSEADDR plus SO_REUSEPORT, which
            // lets a second broker bind the same port and the kernel share clients between the two. A plain bind
            // still succeeds at once with connections of a previous listener in TIME_WAIT (.NET sets SO_REUSEADDR,
            // alone, on every Unix bind); ConnectorPortTests hold both.
            listener.Bind(new IPEndPoint(Uri.BindAddress, Uri.Port));
            listener.Listen(512);
        }
        catch (SocketException e)
        {
            listener.Dispose();
            throw new ConnectorBindException(broker.Name, Uri.Text, Uri.Port, e);
        }
        catch
        {
            listener.Dispose();
            throw;
        }
        BoundPort = ((IPEndPoint)listener.LocalEndPoint!).Port;
        _listener = listener;
        _stop = new CancellationTokenSource();
        _acceptLoop = AcceptLoopAsync(listener, _stop.Token);
        var bound = Uri.WithPort(BoundPort);
        StompLog.Listening(_logger, bound);
        broker.Publish(BrokerEventKind.ConnectorStarted, bound);
    }

    /// <summary>Closes the listener and every connection it accepted.</summary>
    public async Task StopAsync()
    {
        if (_listener is not { } listener)
        {
            return;
        }
        _listener = null;
        await _stop!.CancelAsync();
        listener.Dispose();
        await _acceptLoop!.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await Task.WhenAll(_sessions.Values).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
        StompLog.ConnectorStopped(_logger, Uri.WithPort(BoundPort));
        broker.Publish(BrokerEventKind.ConnectorStopped, Uri.WithPort(BoundPort));
    }

    public ValueTask DisposeAsync() => new(StopAsync());

    private async Task AcceptLoopAsync(Socket listener, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(stop);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (stop.IsCancellationRequested)
                {
                    return;
                }
                continue;
            }
            _ = ServeAsync(socket, stop);
        }
    }

    /// <summary>
    /// Looks at the first bytes without consuming them, unless they are the preamble (then they are consumed).
    /// Stops looking as soon as they differ, so a STOMP client never waits on this.
    /// </summary>
    private static async Task<bool> StartsWithAsync(System.IO.Pipelines.PipeReader input, ReadOnlyMemory<byte> preamble, CancellationToken stop)
    {
        try
        {
            while (true)
            {
                var result = await input.ReadAsync(stop);
                var buffer = result.Buffer;
                var length = (int)Math.Min(buffer.Length, preamble.Length);
                var head = buffer.Slice(0, length).ToArray();
                if (!preamble.Span[..length].SequenceEqual(head))
                {
                    input.AdvanceTo(buffer.Start);
                    return false;
                }
                if (length == preamble.Length)
                {
                    input.AdvanceTo(buffer.GetPosition(length));
                    return true;
                }
                input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    return false;
                }
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            return false;
        }
    }

    private async Task ServeAsync(Socket socket, CancellationToken stop)
    {
        socket.NoDelay = true;
        var remote = socket.RemoteEndPoint?.ToString() ?? "?";
        Stream stream = new NetworkStream(socket, ownsSocket: true);
        if (Uri.Tls)
        {
            var tls = new SslStream(stream, leaveInnerStreamOpen: false);
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
                timeout.CancelAfter(TimeSpan.FromSeconds(10));
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate }, timeout.Token);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or System.Security.Authentication.AuthenticationException)
            {
                StompLog.TlsFailed(_logger, Uri.Text, remote, e.Message);
                await tls.DisposeAsync();
                return;
            }
            stream = tls;
        }
        var input = StreamTransport.CreateReader(stream);
        if (handoff is not null && await StartsWithAsync(input, handoff.Preamble, stop))
        {
            try
            {
                await handoff.HandleAsync(stream, input, remote, stop);
            }
            finally
            {
                await input.CompleteAsync();
                await stream.DisposeAsync();
            }
            return;
        }
        var connectionId = $"{broker.Name}-{Interlocked.Increment(ref s_nextConnectionId)}";
        await using var session = new StompSession(new StreamTransport(stream, remote, input), broker, authenticator, options, _sessionLogger, connectionId);
        var run = session.RunAsync(stop);
        _sessions[session] = run;
        try
        {
            await run;
        }
        finally
        {
            _sessions.TryRemove(session, out _);
        }
    }
}
