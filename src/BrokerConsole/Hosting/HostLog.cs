namespace BrokerConsole.Hosting;

/// <summary>The host's log lines; event ids 5000-5999.</summary>
internal static partial class HostLog
{
    [LoggerMessage(5000, LogLevel.Information, "BrokerConsole broker ({BrokerName}) is starting, data in {DataDirectory}")]
    public static partial void BrokerStarting(ILogger logger, string brokerName, string dataDirectory);

    [LoggerMessage(5001, LogLevel.Information, "BrokerConsole broker ({BrokerName}) started")]
    public static partial void BrokerStarted(ILogger logger, string brokerName);

    [LoggerMessage(5002, LogLevel.Warning, "User {User} has a default password and {Address} is not a loopback address: change the password before exposing this host")]
    public static partial void DefaultPasswordExposed(ILogger logger, string user, string address);
}
