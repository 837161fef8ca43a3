namespace Broker.Client;

/// <summary>Where a <see cref="StompConnection"/> is in its life.</summary>
public enum StompConnectionState
{
    /// <summary>Making the first connection.</summary>
    Connecting,

    /// <summary>A link to a broker is up.</summary>
    Connected,

    /// <summary>The link dropped; reconnecting by the schedule. Sends wait (up to <c>timeout</c>).</summary>
    Reconnecting,

    /// <summary>Reconnection gave up (<c>maxReconnectAttempts</c> exhausted, or the broker refused us); every operation throws.</summary>
    Failed,

    /// <summary>Disconnected or disposed by the application.</summary>
    Closed,
}

/// <summary>What happened to the link, as raised by <see cref="StompConnection.ConnectionInterrupted"/> and its siblings.</summary>
public sealed record StompConnectionEvent(
    StompConnectionState State,
    string? Endpoint,
    string? Reason,
    DateTimeOffset Time,
    int Attempt);

/// <summary>A snapshot of a connection for health checks.</summary>
public sealed record StompConnectionStatistics
{
    /// <summary>The state now.</summary>
    public required StompConnectionState State { get; init; }

    /// <summary>The broker of the current (or last) link.</summary>
    public string? Endpoint { get; init; }

    /// <summary>Successful reconnections after the first connection.</summary>
    public long Reconnects { get; init; }

    /// <summary>When the link last dropped and failover began.</summary>
    public DateTimeOffset? LastFailover { get; init; }

    /// <summary>When the last reconnection succeeded.</summary>
    public DateTimeOffset? LastResumed { get; init; }

    /// <summary>SENDs written again on a new link because their receipt had not come.</summary>
    public long ResentSends { get; init; }

    /// <summary>SENDs completed (receipted, or written when no receipt is awaited).</summary>
    public long Sent { get; init; }

    /// <summary>MESSAGE frames received.</summary>
    public long Received { get; init; }

    /// <summary>ACK/NACK calls skipped because the delivery came on an earlier link (the broker redelivers it).</summary>
    public long StaleAcksSkipped { get; init; }

    /// <summary>Transactions reported rolled back because the link dropped while they were open (or before their COMMIT was answered, and the repeated COMMIT found them rolled back).</summary>
    public long TransactionsRolledBack { get; init; }

    /// <summary>COMMITs in doubt (the link dropped before the receipt) settled by asking the next link: committed or rolled back.</summary>
    public long CommitsResolved { get; init; }

    /// <summary>SENDs awaiting their receipt now.</summary>
    public int PendingSends { get; init; }
}
