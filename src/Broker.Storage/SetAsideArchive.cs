using System.Globalization;
using System.Text.RegularExpressions;

namespace Broker.Storage;

/// <summary>
/// One folder of journal segments a broker set aside when it rejoined a partner whose history had gone another way
/// (a split, or a master killed with records its slave never got): <c>&lt;DataDirectory&gt;/set-aside/&lt;yyyyMMdd-HHmmss&gt;-from-&lt;sequence&gt;</c>,
/// written by the slave link. The whole journal moved there; the records from <see cref="DivergedAt"/> on are the ones
/// only this copy had. Of those, the messages added and never removed inside the folder are what producers were
/// receipted for and no consumer took: <see cref="Summarize"/> counts them, <see cref="ReadMessages"/> reads them for a
/// replay. A replayed folder moves to <c>set-aside/replayed/</c>; a discarded one is deleted.
/// </summary>
public sealed partial class SetAsideArchive
{
    /// <summary>The folder of a data directory that holds the archives.</summary>
    public const string FolderName = "set-aside";

    /// <summary>Inside <see cref="FolderName"/>: archives already replayed, kept for the record and not listed.</summary>
    public const string ReplayedFolderName = "replayed";

    private SetAsideArchive(string path)
    {
        Path = path;
        Id = System.IO.Path.GetFileName(path);
        var from = FromSequence().Match(Id);
        // A folder without the sequence in its name (made by hand, say): every record counts as set aside.
        DivergedAt = from.Success ? long.Parse(from.Groups[1].Value, CultureInfo.InvariantCulture) : 1;
        var stamp = Stamp().Match(Id);
        SetAsideAt = stamp.Success && DateTime.TryParseExact(stamp.Groups[1].Value, "yyyyMMdd-HHmmss", CultureInfo.InvariantCulture,
            DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var at)
            ? new DateTimeOffset(at, TimeSpan.Zero)
            : new DateTimeOffset(Directory.GetCreationTimeUtc(path), TimeSpan.Zero);
    }

    /// <summary>The folder's name, which the API and the console use to address it.</summary>
    public string Id { get; }

    public string Path { get; }

    /// <summary>The first sequence number this copy had that its partner's history lacked.</summary>
    public long DivergedAt { get; }

    /// <summary>When the records were set aside (the rejoin, not the split).</summary>
    public DateTimeOffset SetAsideAt { get; }

    /// <summary>The archives of <paramref name="dataDirectory"/> not yet replayed or discarded, oldest first.</summary>
    public static IReadOnlyList<SetAsideArchive> List(string dataDirectory)
    {
        var folder = System.IO.Path.Combine(dataDirectory, FolderName);
        if (!Directory.Exists(folder))
        {
            return [];
        }
        return [.. Directory.EnumerateDirectories(folder)
            .Where(d => System.IO.Path.GetFileName(d) != ReplayedFolderName)
            .Order(StringComparer.Ordinal)
            .Select(d => new SetAsideArchive(d))];
    }

    /// <summary>The archive named <paramref name="id"/>, or null (an id that is not a plain folder name is never found).</summary>
    public static SetAsideArchive? Find(string dataDirectory, string id)
    {
        if (string.IsNullOrEmpty(id) || id is "." or ".." or ReplayedFolderName || id.IndexOfAny(['/', '\\', '\0']) >= 0)
        {
            return null;
        }
        var path = System.IO.Path.Combine(dataDirectory, FolderName, id);
        return Directory.Exists(path) ? new SetAsideArchive(path) : null;
    }

    /// <summary>
    /// What identifies the folder's content now (its files, their sizes and times): a summary taken earlier holds
    /// while this is unchanged, and a folder still being filled (segments moved one by one) is read again.
    /// </summary>
    public string Fingerprint() => string.Join('|', Directory.EnumerateFiles(Path).Order(StringComparer.Ordinal).Select(f =>
    {
        var info = new FileInfo(f);
        return FormattableString.Invariant($"{info.Name}:{info.Length}:{info.LastWriteTimeUtc.Ticks}");
    }));

    /// <summary>Moves the folder to <c>set-aside/replayed/</c> after a replay; returns where it went.</summary>
    public string MarkReplayed()
    {
        var replayed = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(Path)!, ReplayedFolderName);
        Directory.CreateDirectory(replayed);
        var target = System.IO.Path.Combine(replayed, Id);
        for (var i = 2; Directory.Exists(target); i++)
        {
            target = System.IO.Path.Combine(replayed, FormattableString.Invariant($"{Id}-{i}"));
        }
        Directory.Move(Path, target);
        Native.SyncDirectory(replayed);
        return target;
    }

    /// <summary>Deletes the folder and what it holds (an operator's discard).</summary>
    public void Delete() => Directory.Delete(Path, recursive: true);

    [GeneratedRegex(@"-from-(\d+)$")]
    private static partial Regex FromSequence();

    [GeneratedRegex(@"^(\d{8}-\d{6})")]
    private static partial Regex Stamp();
}
