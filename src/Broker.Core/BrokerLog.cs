using Microsoft.Extensions.Logging;

namespace Broker.Core;

/// <summary>The core's log lines; event ids 1000-1999.</summary>
internal static partial class BrokerLog
{
    [LoggerMessage(1000, LogLevel.Information, "Broker {BrokerName} is {State}")]
    public static partial void StateChanged(ILogger logger, string brokerName, BrokerState state);

    [LoggerMessage(1001, LogLevel.Debug, "Broker {BrokerName} created destination {Destination}")]
    public static partial void DestinationCreated(ILogger logger, string brokerName, string destination);

    [LoggerMessage(1002, LogLevel.Warning, "Broker {BrokerName} moved message {MessageId} from {Queue} to its dead-letter queue: {Reason}")]
    public static partial void DeadLettered(ILogger logger, string brokerName, string messageId, string queue, string reason);
}
