using Microsoft.Extensions.Logging;

namespace Broker.Storage;

/// <summary>The journal's log lines; event ids 3000-3999.</summary>
internal static partial class JournalLog
{
    [LoggerMessage(3000, LogLevel.Information, "Journal {Directory}: {Segments} segments, sequences {First}..{Last}, replayed in {ElapsedMs} ms")]
    public static partial void Opened(ILogger logger, string directory, int segments, long first, long last, long elapsedMs);

    [LoggerMessage(3001, LogLevel.Warning, "Journal {File}: torn record at offset {Offset} cut off (an interrupted write at the tail)")]
    public static partial void TornTail(ILogger logger, string file, long offset);

    [LoggerMessage(3002, LogLevel.Error, "Journal {File}: damaged record at offset {Offset} skipped (SkipDamagedRecords)")]
    public static partial void DamagedSkipped(ILogger logger, string file, long offset);

    [LoggerMessage(3003, LogLevel.Debug, "Journal segment {File} created")]
    public static partial void SegmentCreated(ILogger logger, string file);

    [LoggerMessage(3004, LogLevel.Error, "Journal {Directory}: cannot allocate a new segment: {Reason}")]
    public static partial void SegmentAllocationFailed(ILogger logger, string directory, string reason);

    [LoggerMessage(3005, LogLevel.Critical, "Journal {Directory}: write failed, the journal refuses further writes: {Reason}")]
    public static partial void WriteFailed(ILogger logger, string directory, string reason);

    [LoggerMessage(3006, LogLevel.Information, "Journal {Directory}: compacted {Segments} segments ({BytesBefore} bytes) into {BytesAfter} bytes in {ElapsedMs} ms")]
    public static partial void Compacted(ILogger logger, string directory, int segments, long bytesBefore, long bytesAfter, long elapsedMs);

    [LoggerMessage(3007, LogLevel.Warning, "Journal {Directory}: compaction failed, will retry: {Reason}")]
    public static partial void CompactionFailed(ILogger logger, string directory, string reason);

    [LoggerMessage(3008, LogLevel.Warning, "Journal {File}: {Bytes} bytes after the last record (offset {Offset}) zeroed before a new epoch (a partial record left past the tail)")]
    public static partial void TailCut(ILogger logger, string file, long offset, long bytes);
}
