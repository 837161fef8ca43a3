using Microsoft.Extensions.Logging;

namespace Broker.Client;

/// <summary>The client's log messages; event ids 5000-5099.</summary>
internal static partial class ClientLog
{
    [LoggerMessage(5000, LogLevel.Information, "Connected to {Endpoint}")]
    public static partial void Connected(ILogger logger, string endpoint);

    [LoggerMessage(5001, LogLevel.Warning, "Link to {Endpoint} lost: {Reason}; reconnecting")]
    public static partial void Interrupted(ILogger logger, string endpoint, string reason);

    [LoggerMessage(5002, LogLevel.Information, "Reconnected to {Endpoint} after {Attempts} passes; resent {Resent} sends, restored {Subscriptions} subscriptions")]
    public static partial void Resumed(ILogger logger, string endpoint, int attempts, int resent, int subscriptions);

    [LoggerMessage(5003, LogLevel.Warning, "Still no broker after {Attempts} reconnect passes; last error: {Reason}")]
    public static partial void StillReconnecting(ILogger logger, int attempts, string reason);

    [LoggerMessage(5004, LogLevel.Error, "Giving up: {Reason}")]
    public static partial void Failed(ILogger logger, string reason);

    [LoggerMessage(5005, LogLevel.Debug, "Attempt to {Endpoint} failed: {Reason}")]
    public static partial void AttemptFailed(ILogger logger, string endpoint, string reason);

    [LoggerMessage(5006, LogLevel.Information, "{Endpoint} asked us to reconnect elsewhere (planned switchover): {Reason}")]
    public static partial void PlannedSwitchover(ILogger logger, string endpoint, string reason);

    [LoggerMessage(5007, LogLevel.Warning, "ERROR from {Endpoint}: {Reason}")]
    public static partial void BrokerError(ILogger logger, string endpoint, string reason);
}
