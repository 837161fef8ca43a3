namespace BrokerConsole.Security;

/// <summary>The security guards' log lines; event ids 6100-6199 (inside the host's API range, 6000-6999).</summary>
internal static partial class SecurityLog
{
    [LoggerMessage(6100, LogLevel.Warning, "Refused cross-site {Method} {Path} carrying the credentials of {User}: {Reason}")]
    public static partial void CrossSiteRequestRefused(ILogger logger, string method, string path, string user, string reason);
}
