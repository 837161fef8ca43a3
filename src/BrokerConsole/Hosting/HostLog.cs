namespace BrokerConsole.Hosting;

/// <summary>The host's log lines; event ids 5000-5999 (a broker's life logs from Broker.Server, 8000-8999).</summary>
internal static partial class HostLog
{
    [LoggerMessage(5002, LogLevel.Warning, "User {User} has a default password and {Address} is not a loopback address: change the password before exposing this host")]
    public static partial void DefaultPasswordExposed(ILogger logger, string user, string address);

    [LoggerMessage(5003, LogLevel.Information, "Message memory fell from {PeakMiB} MiB to {UsedMiB} MiB: memory returned to the system, resident {BeforeMiB} MiB -> {AfterMiB} MiB in {ElapsedMs} ms")]
    public static partial void MemoryReturned(ILogger logger, long peakMiB, long usedMiB, long beforeMiB, long afterMiB, long elapsedMs);
}
