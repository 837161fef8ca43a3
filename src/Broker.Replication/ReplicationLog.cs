using Microsoft.Extensions.Logging;

namespace Broker.Replication;

/// <summary>Replication's log lines (the ones ActiveMQ users know keep their wording); event ids 4000-4999.</summary>
internal static partial class ReplicationLog
{
    [LoggerMessage(4000, LogLevel.Information, "Starting a slave connection between {Slave} and {MasterUri}")]
    public static partial void StartingSlaveConnection(ILogger logger, string slave, string masterUri);

    [LoggerMessage(4001, LogLevel.Information, "Slave connection between {Slave} and {MasterUri} has been established")]
    public static partial void SlaveConnectionEstablished(ILogger logger, string slave, string masterUri);

    [LoggerMessage(4003, LogLevel.Error, "Slave connection between {Slave} and {MasterUri} refused: {Reason}")]
    public static partial void SlaveRefused(ILogger logger, string slave, string masterUri, string reason);

    [LoggerMessage(4004, LogLevel.Warning, "Network connection between {Slave} and {MasterUri} shutdown: {Reason}")]
    public static partial void LinkLost(ILogger logger, string slave, string masterUri, string reason);

    [LoggerMessage(4005, LogLevel.Information, "Broker {Master}: slave {Slave} attached from {RemoteAddress}, resyncing from sequence {From} ({Mode})")]
    public static partial void SlaveAttached(ILogger logger, string master, string slave, string remoteAddress, long from, string mode);

    [LoggerMessage(4006, LogLevel.Information, "Broker {Master}: slave {Slave} is in sync at sequence {Sequence}")]
    public static partial void SlaveInSync(ILogger logger, string master, string slave, long sequence);

    [LoggerMessage(4007, LogLevel.Warning, "Broker {Master}: slave {Slave} detached ({Reason}); the pair is unprotected")]
    public static partial void SlaveDetached(ILogger logger, string master, string slave, string reason);

    [LoggerMessage(4008, LogLevel.Warning, "Broker {Master}: replication login refused for {RemoteAddress}: {Reason}")]
    public static partial void ReplicationLoginRefused(ILogger logger, string master, string remoteAddress, string reason);

    [LoggerMessage(4009, LogLevel.Information, "Broker {Slave}: in sync with master {Master} at sequence {Sequence}")]
    public static partial void SlaveCaughtUp(ILogger logger, string slave, string master, long sequence);

    [LoggerMessage(4010, LogLevel.Warning, "Broker {Slave}: {Count} records written after the histories diverged (sequence {DivergedAt}) were set aside in {Directory}")]
    public static partial void RecordsSetAside(ILogger logger, string slave, long count, long divergedAt, string directory);

    [LoggerMessage(4011, LogLevel.Information, "Broker {Slave}: taking a snapshot from master {Master}")]
    public static partial void TakingSnapshot(ILogger logger, string slave, string master);

    [LoggerMessage(4012, LogLevel.Warning, "Broker {Slave}: master {Master} hands over at sequence {Sequence}; taking over")]
    public static partial void TakingOver(ILogger logger, string slave, string master, long sequence);

    [LoggerMessage(4014, LogLevel.Warning, "Broker {Master}: slave {Slave} at {RemoteAddress} broke the replication protocol ({What}); link closed")]
    public static partial void LinkViolation(ILogger logger, string master, string slave, string remoteAddress, string what);

    [LoggerMessage(4015, LogLevel.Warning, "Broker {Slave}: master {MasterUri} unreachable (attempt {Attempt}): {Reason}; retrying in {RetryMs} ms")]
    public static partial void MasterUnreachable(ILogger logger, string slave, string masterUri, int attempt, string reason, long retryMs);

    [LoggerMessage(4016, LogLevel.Error, "Broker {Slave}: master {MasterUri} refused: its TLS certificate is not the one expected (expected {Expected}; presented {Presented}); retrying, never taking over on this")]
    public static partial void MasterCertificateRejected(ILogger logger, string slave, string masterUri, string expected, string presented);

    [LoggerMessage(4013, LogLevel.Error, "Broker {Slave}: could not take over from its master; it goes on as slave")]
    public static partial void TakeOverFailed(ILogger logger, Exception exception, string slave);
}
