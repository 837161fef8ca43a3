using Broker.Core.Events;
using BrokerConsole.Api;
using BrokerConsole.Monitoring;

namespace BrokerConsole.Remote;

/// <summary>Where a watched host stands: <c>connected</c>, <c>unreachable</c> (down, slow, closed the connection) or <c>refused</c> (401/403).</summary>
public enum HostState
{
    Connected,
    Unreachable,
    Refused,
}

/// <summary>
/// One host as <c>GET /api/hosts</c> shows it. <paramref name="Since"/> is when it entered <paramref name="State"/>;
/// <paramref name="LastError"/> the last failure (kept after a reconnect, so the operator sees why it was down).
/// <paramref name="ProtocolVersion"/> is the monitor contract version the host answered (null before it answered, or
/// when it is too old to say); <paramref name="VersionMismatch"/> says why it differs from this console's, null when equal.
/// </summary>
public sealed record HostStatus(
    string Name,
    string Url,
    HostState State,
    DateTimeOffset Since,
    string? LastError,
    int? ProtocolVersion = null,
    string? VersionMismatch = null)
{
    /// <summary>The state as the API writes it: <c>connected</c>, <c>unreachable</c> or <c>refused</c>.</summary>
    public string StateName => State.ToString().ToLowerInvariant();
}

/// <summary>
/// A watched host: its status, its brokers as last received (kept while it is unreachable, so a pair whose master
/// went down with its host is still drawn), their configured links, and its recent events.
/// </summary>
public sealed record HostView(HostStatus Status, IReadOnlyList<BrokerView> Brokers, IReadOnlyList<BrokerLink> Links, IReadOnlyList<BrokerEvent> Events)
{
    public string Name => Status.Name;
}
