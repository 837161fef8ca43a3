namespace Broker.Core.Handover;

/// <summary>
/// Why a broker turns new client connections away. With <paramref name="Reconnect"/> the ERROR carries
/// <c>reconnect:true</c>: the refusal is temporary and a failover client moves to its next URI at once.
/// </summary>
public sealed record ClientRefusal(string Reason, bool Reconnect = false);
