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

    [LoggerMessage(5003, LogLevel.Warning, "Master failed - starting all connectors ({BrokerName})")]
    public static partial void MasterFailed(ILogger logger, string brokerName);

    [LoggerMessage(5004, LogLevel.Critical, "Start-up failed: {Reason}")]
    public static partial void StartupFailed(ILogger logger, string reason);

    [LoggerMessage(5005, LogLevel.Warning, "Broker {BrokerName}: master failed and ShutdownOnMasterFailure is set; the slave shuts down instead of taking over")]
    public static partial void ShutdownOnMasterFailure(ILogger logger, string brokerName);

    [LoggerMessage(5006, LogLevel.Warning, "Broker {BrokerName}: peer {Peer} is master at a later epoch; rejoining it as slave instead of starting as a second master")]
    public static partial void RejoiningAsSlave(ILogger logger, string brokerName, string peer);

    [LoggerMessage(5007, LogLevel.Warning, "Broker {BrokerName}: peer {Peer} unreachable within PeerTimeout ({Reason}); starting as master")]
    public static partial void PeerUnreachable(ILogger logger, string brokerName, string peer, string reason);

    [LoggerMessage(5008, LogLevel.Warning, "Broker {BrokerName}: planned switchover to {Slave} ({Why})")]
    public static partial void SwitchoverStarting(ILogger logger, string brokerName, string slave, string why);

    [LoggerMessage(5009, LogLevel.Warning, "Broker {BrokerName}: switchover did not complete: {Reason}")]
    public static partial void SwitchoverFailed(ILogger logger, string brokerName, string reason);

    [LoggerMessage(5010, LogLevel.Warning, "Broker {BrokerName}: stops serving and rejoins {Partner} as its slave ({Why})")]
    public static partial void Demoting(ILogger logger, string brokerName, string partner, string why);

    [LoggerMessage(5011, LogLevel.Error, "Broker {BrokerName}: stopped following its master")]
    public static partial void FollowingFailed(ILogger logger, Exception exception, string brokerName);

    [LoggerMessage(5012, LogLevel.Error, "Broker {BrokerName}: peer {Peer} refuses the replication credentials ({Status}); fencing by the peer does not work until Replication:UserName/Password are fixed")]
    public static partial void PeerRefusedCredentials(ILogger logger, string brokerName, string peer, int status);
}
