using Microsoft.Extensions.Logging;

namespace Broker.Client;

/// <summary>The client's log messages; event ids 7000-7099 (the broker's own projects use 1000-6999).</summary>
internal static partial class ClientLog
{
    [LoggerMessage(7000, LogLevel.Information, "Connected to {Endpoint}")]
    public static partial void Connected(ILogger logger, string endpoint);

    [LoggerMessage(7001, LogLevel.Warning, "Link to {Endpoint} lost: {Reason}; reconnecting")]
    public static partial void Interrupted(ILogger logger, string endpoint, string reason);

    [LoggerMessage(7002, LogLevel.Information, "Reconnected to {Endpoint} after {Attempts} passes; resent {Resent} sends, restored {Subscriptions} subscriptions")]
    public static partial void Resumed(ILogger logger, string endpoint, int attempts, int resent, int subscriptions);

    [LoggerMessage(7003, LogLevel.Warning, "Still no broker after {Attempts} reconnect passes; last error: {Reason}")]
    public static partial void StillReconnecting(ILogger logger, int attempts, string reason);

    [LoggerMessage(7004, LogLevel.Error, "Giving up: {Reason}")]
    public static partial void Failed(ILogger logger, string reason);

    [LoggerMessage(7005, LogLevel.Debug, "Attempt to {Endpoint} failed: {Reason}")]
    public static partial void AttemptFailed(ILogger logger, string endpoint, string reason);

    [LoggerMessage(7006, LogLevel.Information, "{Endpoint} asked us to reconnect elsewhere (planned switchover): {Reason}")]
    public static partial void PlannedSwitchover(ILogger logger, string endpoint, string reason);

    [LoggerMessage(7007, LogLevel.Warning, "ERROR from {Endpoint}: {Reason}")]
    public static partial void BrokerError(ILogger logger, string endpoint, string reason);

    [LoggerMessage(7008, LogLevel.Warning, "The link dropped before the receipt of COMMIT {TransactionId}; asking again on the next link")]
    public static partial void CommitInDoubt(ILogger logger, string transactionId);

    [LoggerMessage(7009, LogLevel.Information, "Transaction {TransactionId}, whose COMMIT was in doubt, {Outcome}")]
    public static partial void CommitResolved(ILogger logger, string transactionId, string outcome);
}
