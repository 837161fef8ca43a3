namespace Broker.Core.Consumers;

/// <summary>STOMP's acknowledgement modes, with ActiveMQ's meaning.</summary>
public enum AckMode
{
    /// <summary>The message counts as consumed once it has been written to the consumer.</summary>
    Auto,

    /// <summary>An ACK acknowledges that message and every earlier one delivered to the subscription.</summary>
    Client,

    /// <summary>An ACK acknowledges exactly one message.</summary>
    ClientIndividual,
}
