using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Broker.Core;
using Broker.Core.Events;
using Broker.Core.Security;
using Broker.Stomp.Sessions;
using Microsoft.Extensions.Logging;

using Broker.Core.Connections;

namespace Broker.Stomp.Connectors;

/// <summary>
/// A listening socket for one connector URI, opened and closed by the broker's host at run time (a slave
/// opens its connectors only when it takes over). It is not a Kestrel endpoint, so <c>--urls</c> stays free
/// for HTTP and the connector can start after the host has. Partial: admitting, identifying and serving one
/// accepted connection is in <c>StompTcpConnector.Connections.cs</c>.
/// </summary>
public sealed partial class StompTcpConnector(
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
    private readonly UnauthenticatedConnections _unauthenticated = new(options.MaxUnauthenticatedPerAddress);
    private readonly RefusalLog _refusals = new(loggerFactory.CreateLogger<StompTcpConnector>(), uri.Text);
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
}
