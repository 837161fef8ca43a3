namespace BrokerConsole.Remote;

/// <summary>The remote-host watchers' log lines; event ids 5100-5199 (inside the host's range, 5000-5999).</summary>
internal static partial class RemoteLog
{
    [LoggerMessage(5100, LogLevel.Information, "Host {Host} ({Url}) connected: watching its brokers")]
    public static partial void Connected(ILogger logger, string host, string url);

    [LoggerMessage(5101, LogLevel.Warning, "Host {Host} ({Url}) unreachable: {Reason}; retrying with back-off")]
    public static partial void Unreachable(ILogger logger, string host, string url, string reason);

    [LoggerMessage(5102, LogLevel.Error, "Host {Host} ({Url}) refused the configured login: {Reason}; check Console:Hosts:{Host}:UserName and Password")]
    public static partial void Refused(ILogger logger, string host, string url, string reason);

    [LoggerMessage(5103, LogLevel.Warning, "Host {Host} ({Url}): {Mismatch}; what it sends may be read wrongly")]
    public static partial void VersionDiffers(ILogger logger, string host, string url, string mismatch);

    [LoggerMessage(5104, LogLevel.Debug, "Host {Host} still {State}: {Reason}; next attempt in {DelayMs} ms")]
    public static partial void Retrying(ILogger logger, string host, string state, string reason, long delayMs);

    [LoggerMessage(5106, LogLevel.Error, "A HostsChanged handler failed on the change of host {Host}")]
    public static partial void HandlerFailed(ILogger logger, Exception exception, string host);

    [LoggerMessage(5105, LogLevel.Warning, "Forwarded {Method} {Path} to host {Host} failed: {Reason}")]
    public static partial void ForwardFailed(ILogger logger, string method, string path, string host, string reason);
}
