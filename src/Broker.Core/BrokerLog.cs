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

    [LoggerMessage(1003, LogLevel.Debug, "Broker {BrokerName} dropped a duplicate from producer {ProducerId} (sequence {ProducerSequence})")]
    public static partial void DuplicateDropped(ILogger logger, string brokerName, string producerId, long producerSequence);

    [LoggerMessage(1004, LogLevel.Error, "Broker {BrokerName}: the sweep (expiry, inactive destinations) failed")]
    public static partial void SweepFailed(ILogger logger, Exception exception, string brokerName);

    [LoggerMessage(1005, LogLevel.Information, "Broker {BrokerName} recovered {Messages} messages in {Destinations} destinations and {ScheduledJobs} scheduled jobs from {Records} journal records")]
    public static partial void Recovered(ILogger logger, string brokerName, int messages, int destinations, int scheduledJobs, long records);

    [LoggerMessage(1006, LogLevel.Warning, "Broker {BrokerName}: message {MessageId} left queue {Queue} while it was being moved; it was copied instead")]
    public static partial void MoveBecameCopy(ILogger logger, string brokerName, string messageId, string queue);

    [LoggerMessage(1007, LogLevel.Information, "Broker {BrokerName} removed {Removed} destinations inactive for {TimeoutSeconds} s (InactiveDestinationTimeout); {Remaining} remain; the sweep took {ElapsedMs} ms")]
    public static partial void InactiveDestinationsRemoved(ILogger logger, string brokerName, int removed, double timeoutSeconds, int remaining, long elapsedMs);

    [LoggerMessage(1020, LogLevel.Warning, "Broker {BrokerName}: the selector of durable subscription {Subscription} cannot be read ({Reason}); it is kept without a selector")]
    public static partial void SelectorUnreadable(ILogger logger, string brokerName, string subscription, string reason);
    [LoggerMessage(1008, LogLevel.Warning, "Broker {BrokerName} could not deliver scheduled job {JobId} to {Destination}; it is tried again in a second")]
    public static partial void ScheduledDeliveryFailed(ILogger logger, Exception exception, string brokerName, string jobId, string destination);

    [LoggerMessage(1021, LogLevel.Information, "Broker {BrokerName}: an operator closes connection {ConnectionId}: {Reason}")]
    public static partial void ClientClosedByOperator(ILogger logger, string brokerName, string connectionId, string reason);
}
