namespace Broker.Core.Connections;

/// <summary>A durable topic subscription (client-id and name): whether its subscriber is online, and what it keeps for it.</summary>
public sealed record DurableSubscriptionInfo(string ClientId, string Name, string Topic, string? Selector, bool Active, int Pending);
