using Broker.Core.Messages;

namespace Broker.Core.Consumers;

/// <summary>One message handed to one consumer. <see cref="Tag"/> is what the consumer acknowledges.</summary>
public readonly record struct Delivery(Message Message, long Tag, bool Redelivered, int DeliveryCount);
