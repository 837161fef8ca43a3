namespace Broker.Storage;

/// <summary>
/// Which epoch began at which sequence number, kept in <c>epochs</c> beside the segments (one "epoch
/// first-sequence" line each, synced when it changes). Two brokers compare histories to find where they
/// diverged: the first sequence whose epoch differs.
/// </summary>
public sealed class EpochHistory
{
    private readonly string _path;
    private readonly List<(long Epoch, long FirstSequence)> _entries = [];

    public EpochHistory(string directory)
    {
        _path = Path.Combine(directory, "epochs");
        if (File.Exists(_path))
        {
            foreach (var line in File.ReadAllLines(_path))
            {
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length == 2 && long.TryParse(parts[0], out var epoch) && long.TryParse(parts[1], out var first))
                {
                    _entries.Add((epoch, first));
                }
            }
        }
        if (_entries.Count == 0)
        {
            _entries.Add((0, 1));
        }
    }

    public long Current => _entries[^1].Epoch;

    public IReadOnlyList<(long Epoch, long FirstSequence)> Entries => _entries;

    /// <summary>The epoch a record with this sequence number was written in.</summary>
    public long EpochAt(long sequence) => _entries.LastOrDefault(e => e.FirstSequence <= sequence, _entries[0]).Epoch;

    /// <summary>Forgets the history (the journal was emptied for a snapshot; the snapshot's records bring theirs).</summary>
    public void Reset()
    {
        _entries.Clear();
        _entries.Add((0, 1));
        File.Delete(_path);
    }

    /// <summary>Starts a new epoch at <paramref name="firstSequence"/> (a promotion), durably.</summary>
    public void Begin(long epoch, long firstSequence)
    {
        if (epoch <= Current)
        {
            throw new ArgumentException($"epoch {epoch} is not after the current epoch {Current}");
        }
        if (_entries[^1].FirstSequence == firstSequence)
        {
            // The previous epoch never wrote a record: it is replaced, not kept as an empty range.
            _entries.RemoveAt(_entries.Count - 1);
        }
        _entries.Add((epoch, firstSequence));
        var temporary = _path + ".tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write))
        using (var writer = new StreamWriter(file))
        {
            foreach (var (e, first) in _entries)
            {
                writer.WriteLine($"{e} {first}");
            }
            writer.Flush();
            file.Flush(flushToDisk: true);
        }
        File.Move(temporary, _path, overwrite: true);
        Native.SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(_path))!);
    }
}
