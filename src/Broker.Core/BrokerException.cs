namespace Broker.Core;

/// <summary>
/// A request the broker refuses for a reason the client should read (a limit, a permission, a bad name).
/// Protocol adapters turn it into their error reply; nothing about the broker's state is wrong.
/// </summary>
public class BrokerException(string message) : Exception(message);
