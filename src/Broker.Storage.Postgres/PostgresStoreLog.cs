using Microsoft.Extensions.Logging;

namespace Broker.Storage.Postgres;

/// <summary>The PostgreSQL store's log lines; event ids 3500-3599 (beside the journal's 3000s). Never a password.</summary>
internal static partial class PostgresStoreLog
{
    [LoggerMessage(3500, LogLevel.Information, "Message store {Where}: schema version {Version}, {Rows} rows up to sequence {Last} at epoch {Epoch}, replayed in {ElapsedMs} ms")]
    public static partial void Replayed(ILogger logger, string where, int version, int rows, long last, long epoch, long elapsedMs);

    [LoggerMessage(3501, LogLevel.Error, "Message store {Where}: a commit failed ({Reason}); the store takes no more writes until it is opened again")]
    public static partial void CommitFailed(ILogger logger, string where, string reason);
}
