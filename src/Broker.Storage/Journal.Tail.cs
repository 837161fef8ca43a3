namespace Broker.Storage;

public sealed partial class Journal
{
    private const int TailScanChunk = 1024 * 1024;

    /// <summary>
    /// Makes <paramref name="segment"/> end exactly at its last record: that record must read back whole, and
    /// any byte after it (a partial record an interrupted or stray write left past the tail) is zeroed and
    /// synced. Under the journal's lock, with nothing pending: no write of the flusher can land meanwhile.
    /// Only what can hold such bytes is read: whatever the file held when opened, and <see cref="ZeroAheadChunk"/>
    /// past the tail (reading all of a 64 MiB segment took 40-170 ms, a promotion's whole budget).
    /// </summary>
    private void CutTail(Segment segment)
    {
        if (segment.LastRecordOffset > 0)
        {
            var last = new byte[segment.WriteOffset - segment.LastRecordOffset];
            RandomAccess.Read(segment.Handle, last, segment.LastRecordOffset);
            var header = RecordCodec.ReadHeader(last);
            if (header.TotalLength != last.Length || !RecordCodec.IsValid(last, header))
            {
                throw new JournalCorruptException(
                    $"journal file {segment.Path} is damaged at offset {segment.LastRecordOffset}: its last record does not read back whole; nothing was written after it");
            }
        }
        var buffer = new byte[TailScanChunk];
        var lastNonZero = -1L;
        var end = Math.Min(segment.Size, Math.Max(segment.DirtyTo, segment.WriteOffset + ZeroAheadChunk));
        for (var position = segment.WriteOffset; position < end;)
        {
            var read = RandomAccess.Read(segment.Handle, buffer.AsSpan(0, (int)Math.Min(buffer.Length, end - position)), position);
            if (read <= 0)
            {
                break;
            }
            var found = buffer.AsSpan(0, read).LastIndexOfAnyExcept((byte)0);
            if (found >= 0)
            {
                lastNonZero = position + found;
            }
            position += read;
        }
        if (lastNonZero < segment.WriteOffset)
        {
            return;
        }
        var zeros = new byte[Math.Min(TailScanChunk, lastNonZero + 1 - segment.WriteOffset)];
        for (var position = segment.WriteOffset; position <= lastNonZero; position += zeros.Length)
        {
            RandomAccess.Write(segment.Handle, zeros.AsSpan(0, (int)Math.Min(zeros.Length, lastNonZero + 1 - position)), position);
        }
        Native.DataSync(segment.Handle);
        JournalLog.TailCut(_logger, segment.Path, segment.WriteOffset, lastNonZero + 1 - segment.WriteOffset);
    }
}
