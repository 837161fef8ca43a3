using Broker.Stomp.Protocol;

namespace Broker.Stomp.Sessions;

/// <summary>Per-connection protocol settings shared by every connector of a broker.</summary>
public sealed record StompServerOptions
{
    public static StompServerOptions Default { get; } = new();

    public StompLimits Limits { get; init; } = StompLimits.Default;

    /// <summary>How often we offer to send heart-beats, in ms (the client's wish wins when slower).</summary>
    public int HeartbeatSendMs { get; init; } = 1000;

    /// <summary>The fastest rate we ask clients to heart-beat at, in ms, whenever they offer to.</summary>
    public int HeartbeatReceiveMs { get; init; } = 1000;

    /// <summary>A connection silent for this many negotiated intervals is dead.</summary>
    public double HeartbeatGraceFactor { get; init; } = 2.0;

    /// <summary>Time a new connection has to send CONNECT.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Replies (receipts, errors) waiting to be written before we stop reading from the client.</summary>
    public int MaxPendingFrames { get; init; } = 10_000;

    public string ServerName { get; init; } = "BrokerConsole/1.0";
}
