namespace BrokerConsole.Hosting;

/// <summary>The host's log lines; event ids 5000-5999 (a broker's life logs from Broker.Server, 8000-8999).</summary>
internal static partial class HostLog
{
    [LoggerMessage(5002, LogLevel.Warning, "User {User} has a default password and {Address} is not a loopback address: change the password before exposing this host")]
    public static partial void DefaultPasswordExposed(ILogger logger, string user, string address);
}
