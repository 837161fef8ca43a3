using Broker.Core.Security;
using Broker.Stomp.Protocol;

namespace Broker.Stomp.Sessions;

public sealed partial class StompSession
{
    private const string SupportedVersions = "1.0,1.1,1.2";

    /// <summary>Dispatches one frame; false when the connection must close after the queued replies.</summary>
    private bool Handle(StompFrame frame)
    {
        if (!IsConnected)
        {
            return frame.Command is "CONNECT" or "STOMP"
                ? Connect(frame)
                : throw new StompProtocolException($"expected CONNECT or STOMP as the first frame, got {frame.Command}");
        }
        switch (frame.Command)
        {
            case "SEND": Send(frame); break;
            case "SUBSCRIBE": Subscribe(frame); break;
            case "UNSUBSCRIBE": Unsubscribe(frame); break;
            case "ACK": Acknowledge(frame, accept: true); break;
            case "NACK": Acknowledge(frame, accept: false); break;
            case "BEGIN": Begin(frame); break;
            case "COMMIT": Commit(frame); break;
            case "ABORT": Abort(frame); break;
            case "DISCONNECT":
                // Everything the connection held is released, and its acknowledgements durable, before the receipt
                // says it is done.
                ReleaseBrokerState();
                EnqueueReceipt(frame, frame["receipt"] is not null ? _broker.WhenStoredSoFar() : null);
                return false;
            case "CONNECT" or "STOMP":
                throw new StompProtocolException("already connected");
            default:
                throw new StompProtocolException($"unknown command '{frame.Command}'");
        }
        return true;
    }

    private bool Connect(StompFrame frame)
    {
        if (!TryNegotiateVersion(frame["accept-version"], out var version))
        {
            var error = new StompFrame("ERROR",
                ("version", SupportedVersions),
                ("content-type", "text/plain"),
                ("message", $"unsupported protocol version; supported versions are {SupportedVersions}"));
            Interlocked.Increment(ref _pendingReplies);
            _outbound.Writer.TryWrite(new Outbound(OutboundKind.Error, error, null, default));
            return false;
        }
        // Negotiated before anything can be refused, so the ERROR is escaped as the client expects (or not, in 1.0).
        _version = version;
        _parser.Version = version;
        if (_broker.ClientRefusal is { } refusal)
        {
            EnqueueError(refusal.Reason, frame["receipt"], refusal.Reconnect);
            return false;
        }
        // Refused at once, never delayed: a session must not hold a thread while an address is locked out.
        var login = _authenticator.Authenticate(frame["login"], frame["passcode"], _transport.RemoteAddress);
        if (login.RetryAfter is not null)
        {
            throw new StompProtocolException(login.Refusal);
        }
        if (login.User is not { } user)
        {
            StompLog.LoginFailed(_logger, ConnectionId, frame["login"] ?? "");
            throw new StompProtocolException("login failed: unknown user or wrong passcode");
        }
        if (!user.Can(Permission.Connect))
        {
            throw new StompProtocolException($"user '{user.Name}' may not connect over STOMP");
        }
        var clientHeartbeat = frame["heart-beat"];
        var (clientSend, clientReceive) = ParseHeartbeat(clientHeartbeat);
        // Heart-beats flow only where both sides want them, at the slower of the two rates (STOMP 1.1 §Heart-beating).
        _outgoingHeartbeatMs = clientReceive > 0 && _options.HeartbeatSendMs > 0 ? Math.Max(clientReceive, _options.HeartbeatSendMs) : 0;
        _incomingHeartbeatMs = clientSend > 0 && _options.HeartbeatReceiveMs > 0 ? Math.Max(clientSend, _options.HeartbeatReceiveMs) : 0;
        _clientId = frame["client-id"];
        _user = user;
        _accepted?.LoggedIn();
        RegisterWithBroker();
        EnqueueFrame(new StompFrame("CONNECTED",
            ("version", version.ToWire()),
            ("session", ConnectionId),
            ("server", _options.ServerName),
            ("heart-beat", ConnectedHeartbeat(clientHeartbeat))));
        StompLog.LoggedIn(_logger, ConnectionId, user.Name, version.ToWire(), _incomingHeartbeatMs, _outgoingHeartbeatMs);
        _broker.AdviseConnection(opened: true, ConnectionId, user.Name, _clientId, _transport.RemoteAddress);
        return true;
    }

    private static bool TryNegotiateVersion(string? acceptVersion, out StompVersion version)
    {
        version = StompVersion.V1_0;
        if (string.IsNullOrEmpty(acceptVersion))
        {
            return true;
        }
        var found = false;
        foreach (var offered in acceptVersion.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (StompVersions.TryParse(offered, out var candidate) && (!found || candidate > version))
            {
                version = candidate;
                found = true;
            }
        }
        return found;
    }

    /// <summary>
    /// What CONNECTED offers. A client that sent no <c>heart-beat</c> header (1.0 clients as a rule) can neither send
    /// nor take beats (1.2 §Heart-beating: a missing header counts as <c>0,0</c>), so no beat will flow and we say
    /// <c>0,0</c>, as ActiveMQ does, instead of offering beats it never asked for; a client that sent the header,
    /// even <c>0,0</c>, hears what we can do.
    /// </summary>
    private string ConnectedHeartbeat(string? clientHeartbeat) =>
        string.IsNullOrEmpty(clientHeartbeat) ? "0,0" : $"{_options.HeartbeatSendMs},{_options.HeartbeatReceiveMs}";

    private static (int Send, int Receive) ParseHeartbeat(string? header)
    {
        if (string.IsNullOrEmpty(header))
        {
            return (0, 0);
        }
        var parts = header.Split(',');
        if (parts.Length != 2
            || !int.TryParse(parts[0].Trim(), out var send) || send < 0
            || !int.TryParse(parts[1].Trim(), out var receive) || receive < 0)
        {
            throw new StompProtocolException($"heart-beat '{header}' must be two non-negative integers, as in 10000,10000");
        }
        return (send, receive);
    }
}
