using Microsoft.Extensions.Logging;

namespace Broker.Server;

/// <summary>The lifecycle's log lines (the ones ActiveMQ users know keep their wording); event ids 8000-8999.</summary>
internal static partial class LifecycleLog
{
    [LoggerMessage(8000, LogLevel.Information, "BrokerConsole broker ({BrokerName}) is starting, data in {DataDirectory}")]
    public static partial void BrokerStarting(ILogger logger, string brokerName, string dataDirectory);

    [LoggerMessage(8001, LogLevel.Information, "BrokerConsole broker ({BrokerName}) started")]
    public static partial void BrokerStarted(ILogger logger, string brokerName);

    [LoggerMessage(8002, LogLevel.Information, "Broker {BrokerName}: {From} -> {To} ({Reason})")]
    public static partial void Transition(ILogger logger, string brokerName, string from, string to, string reason);

    [LoggerMessage(8003, LogLevel.Warning, "Master failed - starting all connectors ({BrokerName})")]
    public static partial void MasterFailed(ILogger logger, string brokerName);

    [LoggerMessage(8004, LogLevel.Critical, "Start-up failed: {Reason}")]
    public static partial void StartupFailed(ILogger logger, string reason);

    [LoggerMessage(8005, LogLevel.Warning, "Broker {BrokerName}: master failed and ShutdownOnMasterFailure is set; the slave shuts down instead of taking over")]
    public static partial void ShutdownOnMasterFailure(ILogger logger, string brokerName);

    [LoggerMessage(8006, LogLevel.Warning, "Broker {BrokerName}: peer {Peer} is master at a later epoch; rejoining it as slave instead of starting as a second master")]
    public static partial void RejoiningAsSlave(ILogger logger, string brokerName, string peer);

    [LoggerMessage(8007, LogLevel.Warning, "Broker {BrokerName}: peer {Peer} unreachable within PeerTimeout ({Reason}); starting as master")]
    public static partial void PeerUnreachable(ILogger logger, string brokerName, string peer, string reason);

    [LoggerMessage(8008, LogLevel.Warning, "Broker {BrokerName}: planned switchover to {Slave} ({Why})")]
    public static partial void SwitchoverStarting(ILogger logger, string brokerName, string slave, string why);

    [LoggerMessage(8009, LogLevel.Warning, "Broker {BrokerName}: switchover did not complete: {Reason}")]
    public static partial void SwitchoverFailed(ILogger logger, string brokerName, string reason);

    [LoggerMessage(8010, LogLevel.Warning, "Broker {BrokerName}: stops serving and rejoins {Partner} as its slave ({Why})")]
    public static partial void Demoting(ILogger logger, string brokerName, string partner, string why);

    [LoggerMessage(8011, LogLevel.Error, "Broker {BrokerName}: stopped following its master")]
    public static partial void FollowingFailed(ILogger logger, Exception exception, string brokerName);

    [LoggerMessage(8012, LogLevel.Error, "Broker {BrokerName}: peer {Peer} refuses the replication credentials ({Status}); fencing by the peer does not work until Replication:UserName/Password are fixed")]
    public static partial void PeerRefusedCredentials(ILogger logger, string brokerName, string peer, int status);

    [LoggerMessage(8013, LogLevel.Error, "Broker {BrokerName}: the master was lost while this slave was not in sync ({Reason}); it does not take over (it lacks messages the master acknowledged) and waits for the master, or for an operator's promote")]
    public static partial void NotPromotingBehind(ILogger logger, string brokerName, string reason);

    [LoggerMessage(8014, LogLevel.Error, "Broker {BrokerName}: cannot promote; its journal does not end cleanly at the master's last record")]
    public static partial void PromotionFailed(ILogger logger, Exception exception, string brokerName);

    [LoggerMessage(8015, LogLevel.Warning, "Broker {BrokerName}: took the lock on the shared store {Directory}; recovering it and starting all connectors")]
    public static partial void StoreLockAcquired(ILogger logger, string brokerName, string directory);

    [LoggerMessage(8016, LogLevel.Error, "Broker {BrokerName}: lost the lock on the shared store ({Reason}); stopped serving at once and waits for the lock again")]
    public static partial void StoreLockLost(ILogger logger, string brokerName, string reason);

    [LoggerMessage(8017, LogLevel.Warning, "Set-aside archive {Path} cannot be read: {Reason}")]
    public static partial void SetAsideUnreadable(ILogger logger, string path, string reason);

    [LoggerMessage(8018, LogLevel.Information, "Set-aside archive {Path} replayed into {Broker}: {Replayed} messages sent, {Held} already held")]
    public static partial void SetAsideReplayed(ILogger logger, string path, string broker, int replayed, int held);

    [LoggerMessage(8019, LogLevel.Error, "Broker {BrokerName}: lost the witness lease ({Reason}); it dismisses its clients and takes none until it holds the lease again")]
    public static partial void WitnessLeaseLost(ILogger logger, string brokerName, string reason);

    [LoggerMessage(8020, LogLevel.Warning, "Broker {BrokerName}: holds the witness lease again; taking clients")]
    public static partial void WitnessLeaseHeld(ILogger logger, string brokerName);

    [LoggerMessage(8021, LogLevel.Warning, "Broker {BrokerName}: the master is lost but {Reason}; not promoting (the master may live behind a cut link), still following")]
    public static partial void WitnessRefusesPromotion(ILogger logger, string brokerName, string reason);

    [LoggerMessage(8022, LogLevel.Error, "Broker {BrokerName}: recovering the shared store {Store} failed; it lets the store go and waits for it again")]
    public static partial void StoreRecoveryFailed(ILogger logger, Exception exception, string brokerName, string store);
}
