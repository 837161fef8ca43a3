namespace BrokerConsole.Api;

/// <summary>The HTTP API's log lines; event ids 6000-6999.</summary>
internal static partial class ApiLog
{
    [LoggerMessage(6000, LogLevel.Information, "AUDIT {User} {Action} {Target} {Detail}")]
    public static partial void Audit(ILogger logger, string user, string action, string target, string detail);

}
