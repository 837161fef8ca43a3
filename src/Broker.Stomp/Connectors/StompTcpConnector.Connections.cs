using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Broker.Stomp.Protocol;
using Broker.Stomp.Sessions;
using Broker.Stomp.Transports;

namespace Broker.Stomp.Connectors;

/// <summary>
/// One accepted connection, from accept to close:
/// <code>
/// accept ── admitted? (its address's unauthenticated bound, then the broker's MaxConnections) ── no: ERROR, close
///    │  ┌──────────────────────────── ConnectTimeout, from the accept ────────────────────────────┐
///    └─ TLS handshake ── first bytes ── the preamble ── handoff, until it answers the handshake ─┴─ the pair's link
///                                    └─ anything else ── STOMP session, until CONNECT is accepted ─ a logged-in client
/// </code>
/// A connection that has not logged in when the deadline passes is closed, wherever it stands.
/// </summary>
public sealed partial class StompTcpConnector
{
    private async Task ServeAsync(Socket socket, CancellationToken stop)
    {
        var endPoint = socket.RemoteEndPoint as IPEndPoint;
        var address = endPoint?.Address is { IsIPv4MappedToIPv6: true } mapped ? mapped.MapToIPv4() : endPoint?.Address ?? IPAddress.None;
        var remote = endPoint?.ToString() ?? "?";
        using var admission = Admit(socket, address);
        if (admission is null)
        {
            return;
        }
        Stream stream = new NetworkStream(socket, ownsSocket: true);
        // Linked to the broker's dismissal too: a switchover waits until no connection is left, silent ones included.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stop, broker.Dismissal);
        deadline.CancelAfter(options.ConnectTimeout);
        try
        {
            socket.NoDelay = true;
            if (Uri.Tls)
            {
                stream = await AuthenticateAsync(stream, remote, deadline.Token);
            }
            var input = StreamTransport.CreateReader(stream);
            var first = handoff is null ? FirstBytes.Other : await PeekAsync(input, handoff.Preamble, deadline.Token);
            switch (first)
            {
                case FirstBytes.Preamble:
                    await HandOffAsync(stream, input, remote, admission, deadline.Token, stop);
                    return;
                case FirstBytes.Gone:
                    if (deadline.IsCancellationRequested && !stop.IsCancellationRequested && !broker.Dismissal.IsCancellationRequested)
                    {
                        StompLog.SilentConnectionClosed(_logger, Uri.Text, remote, (long)options.ConnectTimeout.TotalMilliseconds);
                    }
                    await input.CompleteAsync();
                    await stream.DisposeAsync();
                    return;
            }
            await RunSessionAsync(new StreamTransport(stream, remote, input), admission, stop);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException
            or System.Security.Authentication.AuthenticationException)
        {
            // The peer left, or never finished the TLS handshake (logged), before anything was served.
            await stream.DisposeAsync();
        }
    }

    /// <summary>Takes the connection's places, or refuses it (logged, counted, told why when it speaks plain STOMP, closed).</summary>
    private ConnectionAdmission? Admit(Socket socket, IPAddress address)
    {
        string reason;
        if (!_unauthenticated.TryEnter(address))
        {
            reason = $"{_unauthenticated.MaxPerAddress} connections from {address} have not logged in yet (Stomp:MaxUnauthenticatedPerAddress)";
            broker.Counters.ConnectionRefused();
        }
        else if (!broker.TryOpenConnection())
        {
            _unauthenticated.Leave(address);
            reason = StompSession.MaxConnectionsMessage(broker);
        }
        else
        {
            return new ConnectionAdmission(broker, _unauthenticated, address);
        }
        _refusals.Refused(address, reason);
        _ = RefuseAsync(socket, reason);
        return null;
    }

    private async Task RefuseAsync(Socket socket, string reason)
    {
        try
        {
            if (!Uri.Tls)
            {
                // Written as 1.0 writes it (no escapes): nothing was negotiated. A fresh socket's send buffer is
                // empty, so this never waits on the peer; the timeout is only a backstop.
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                var error = ServerFrameWriter.ToArray(new StompFrame("ERROR", ("message", reason), ("content-type", "text/plain")), StompVersion.V1_0);
                await socket.SendAsync(error, SocketFlags.None, timeout.Token);
                socket.Shutdown(SocketShutdown.Send);
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // It is refused either way.
        }
        finally
        {
            socket.Dispose();
        }
    }

    private async Task<Stream> AuthenticateAsync(Stream stream, string remote, CancellationToken deadline)
    {
        var tls = new SslStream(stream, leaveInnerStreamOpen: false);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(deadline);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate }, timeout.Token);
            return tls;
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or System.Security.Authentication.AuthenticationException)
        {
            StompLog.TlsFailed(_logger, Uri.Text, remote, e.Message);
            await tls.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Looks at the first bytes without consuming them, unless they are the preamble (then they are consumed).
    /// Stops looking as soon as they differ, so a STOMP client never waits on this.
    /// </summary>
    private static async Task<FirstBytes> PeekAsync(PipeReader input, ReadOnlyMemory<byte> preamble, CancellationToken deadline)
    {
        try
        {
            while (true)
            {
                var result = await input.ReadAsync(deadline);
                var buffer = result.Buffer;
                var length = (int)Math.Min(buffer.Length, preamble.Length);
                var head = System.Buffers.BuffersExtensions.ToArray(buffer.Slice(0, length));
                if (!preamble.Span[..length].SequenceEqual(head))
                {
                    input.AdvanceTo(buffer.Start);
                    return FirstBytes.Other;
                }
                if (length == preamble.Length)
                {
                    input.AdvanceTo(buffer.GetPosition(length));
                    return FirstBytes.Preamble;
                }
                input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    return FirstBytes.Other;
                }
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            return FirstBytes.Gone;
        }
    }

    private async Task HandOffAsync(Stream stream, PipeReader input, string remote, ConnectionAdmission admission,
        CancellationToken deadline, CancellationToken stop)
    {
        // The handoff's first write is its answer to the peer's handshake: until then the connect deadline holds;
        // after it the connection is the pair's link and lives as long as the pair needs it.
        var watched = new FirstWriteStream(stream, admission.HandedOff);
        using var handshake = CancellationTokenSource.CreateLinkedTokenSource(stop);
        using var expiry = deadline.Register(() =>
        {
            if (!watched.HasWritten)
            {
                handshake.Cancel();
            }
        });
        try
        {
            await handoff!.HandleAsync(watched, input, remote, handshake.Token);
        }
        finally
        {
            await input.CompleteAsync();
            await watched.DisposeAsync();
        }
    }

    private async Task RunSessionAsync(StreamTransport transport, ConnectionAdmission admission, CancellationToken stop)
    {
        var connectionId = $"{broker.Name}-{Interlocked.Increment(ref s_nextConnectionId)}";
        await using var session = new StompSession(transport, broker, authenticator, options, _sessionLogger, connectionId,
            new AcceptedConnection(admission.AcceptedAt, admission.LoggedIn));
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

    private enum FirstBytes
    {
        /// <summary>The handoff's preamble, consumed.</summary>
        Preamble,

        /// <summary>Anything else (a STOMP frame, garbage), left unread for the session.</summary>
        Other,

        /// <summary>Nothing before the deadline, or the peer went away.</summary>
        Gone,
    }
}
