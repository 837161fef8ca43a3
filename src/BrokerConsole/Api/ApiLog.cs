namespace BrokerConsole.Api;

/// <summary>The HTTP API's log lines; event ids 6000-6999.</summary>
internal static partial class ApiLog
{
    [LoggerMessage(6000, LogLevel.Information, "AUDIT {User} {Action} {Target} {Detail}")]
    public static partial void Audit(ILogger logger, string user, string action, string target, string detail);

    [LoggerMessage(6001, LogLevel.Warning, "Set-aside archive {Path} cannot be read: {Reason}")]
    public static partial void SetAsideUnreadable(ILogger logger, string path, string reason);

    [LoggerMessage(6002, LogLevel.Information, "Set-aside archive {Path} replayed into {Broker}: {Replayed} messages sent, {Held} already held")]
    public static partial void SetAsideReplayed(ILogger logger, string path, string broker, int replayed, int held);
}
