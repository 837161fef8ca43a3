using Microsoft.Win32.SafeHandles;

namespace Broker.Storage;

/// <summary>
/// One preallocated journal file. A 32-byte file header (magic, id) is followed by records; the first zero
/// record header marks the end of what was written.
/// </summary>
internal sealed class Segment : IDisposable
{
    public const int FileHeaderSize = 32;
    internal static readonly byte[] Magic = "BCJRNL01"u8.ToArray();

    private Segment(string path, long id, long coversFromId, SafeFileHandle handle, long size)
    {
        Path = path;
        Id = id;
        CoversFromId = coversFromId;
        Handle = handle;
        Size = size;
    }

    /// <summary>
    /// A compacted segment replaces segments <see cref="CoversFromId"/>..<see cref="Id"/>: it holds what was
    /// still live in them. Recovery ignores (and deletes) the older ones it covers, so a crash in the middle of
    /// compaction leaves either the old files or the new one in force, never a mix.
    /// </summary>
    public long CoversFromId { get; }

    /// <summary>For a compacted segment, the last sequence number of the range it replaced (0 otherwise).</summary>
    public long CoversUpTo { get; private init; }

    public string Path { get; }

    public long Id { get; }

    public SafeFileHandle Handle { get; }

    public long Size { get; }

    /// <summary>Where the next record goes (appends are assigned here, under the journal's lock).</summary>
    public long WriteOffset { get; set; } = FileHeaderSize;

    /// <summary>Up to where the file's blocks have been written (with data or zeros) and synced; see the flusher.</summary>
    public long ZeroedTo { get; set; }

    /// <summary>Up to where the file held non-zero bytes when it was opened (a previous process's writes, found at replay).</summary>
    public long DirtyTo { get; set; }

    /// <summary>Where the last record appended or replayed here starts (0: none yet).</summary>
    public long LastRecordOffset { get; set; }

    /// <summary>Bytes that have been written to the file (possibly not yet synced).</summary>
    public long FlushedOffset { get; set; } = FileHeaderSize;

    public long FirstSequence { get; set; }

    public long LastSequence { get; set; }

    /// <summary>Bytes of records still needed (live messages, destinations, subscriptions); the rest is garbage.</summary>
    public long LiveBytes { get; set; }

    public static string FileName(long id) => $"segment-{id:D10}.log";

    public static bool TryParseId(string fileName, out long id)
    {
        id = 0;
        return fileName.StartsWith("segment-", StringComparison.Ordinal)
            && fileName.EndsWith(".log", StringComparison.Ordinal)
            && long.TryParse(fileName.AsSpan(8, fileName.Length - 12), out id);
    }

    public static Segment Create(string directory, long id, long size, long? coversFromId = null, string? path = null, long coversUpTo = 0)
    {
        path ??= System.IO.Path.Combine(directory, FileName(id));
        var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read, FileOptions.None, preallocationSize: size);
        try
        {
            // The preallocation reserves the blocks (so a full disk shows now, not mid-write); setting the length
            // too means appends never change the file's size, and fdatasync has no size to flush.
            RandomAccess.SetLength(handle, size);
            var header = new byte[FileHeaderSize];
            Magic.CopyTo(header, 0);
            BitConverter.TryWriteBytes(header.AsSpan(8), id);
            BitConverter.TryWriteBytes(header.AsSpan(16), coversFromId ?? id);
            BitConverter.TryWriteBytes(header.AsSpan(24), coversUpTo);
            RandomAccess.Write(handle, header, 0);
            Native.DataSync(handle);
        }
        catch
        {
            handle.Dispose();
            File.Delete(path);
            throw;
        }
        return new Segment(path, id, coversFromId ?? id, handle, Math.Max(size, RandomAccess.GetLength(handle))) { CoversUpTo = coversUpTo };
    }

    public static Segment Open(string path, long id)
    {
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
        var header = new byte[FileHeaderSize];
        if (RandomAccess.Read(handle, header, 0) < FileHeaderSize || !header.AsSpan(0, 8).SequenceEqual(Magic))
        {
            handle.Dispose();
            throw new JournalCorruptException($"{path} is not a journal segment (bad file header)");
        }
        return new Segment(path, id, BitConverter.ToInt64(header, 16), handle, RandomAccess.GetLength(handle)) { CoversUpTo = BitConverter.ToInt64(header, 24) };
    }

    public void Dispose() => Handle.Dispose();
}

/// <summary>The journal is damaged where a crash cannot explain it; the message names the file and offset.</summary>
public sealed class JournalCorruptException(string message) : Exception(message);
