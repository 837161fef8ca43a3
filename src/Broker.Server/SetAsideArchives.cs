using System.Collections.Concurrent;
using Broker.Core.Storage;
using Broker.Storage;
using Microsoft.Extensions.Logging;

namespace Broker.Server;

/// <summary>One archive as listed: its folder and what it holds.</summary>
public sealed record SetAsideEntry(string Path, SetAsideSummary Summary);

/// <summary>
/// What a replay did: of <see cref="Messages"/> distinct unconsumed messages, <see cref="Replayed"/> were sent and
/// <see cref="AlreadyHeld"/> skipped because the master's journal holds the same message id or the same
/// <c>producer-id</c>/<c>producer-seq</c>. <see cref="HistoryComplete"/> is false when the master's journal was
/// compacted past the split: only messages it still holds could be recognised. <see cref="MovedTo"/> is where the
/// archive went.
/// </summary>
public sealed record SetAsideReplayResult(int Messages, int Replayed, int AlreadyHeld, bool HistoryComplete, string MovedTo);

/// <summary>No archive of that id (replayed or discarded already, or never there).</summary>
public sealed class SetAsideArchiveNotFoundException(string message) : Exception(message);

/// <summary>A replay stopped part way (the master stopped taking messages): what went stays sent, the archive stays.</summary>
public sealed class SetAsideReplayStoppedException(int replayed, int alreadyHeld, Exception cause)
    : Exception($"stopped after {replayed} messages sent ({alreadyHeld} already held): {cause.Message}", cause)
{
    public int Replayed => replayed;

    public int AlreadyHeld => alreadyHeld;
}

/// <summary>
/// The records one broker set aside after a split (<see cref="SetAsideArchive"/> under its data directory): listed,
/// replayed into the current master, or discarded. Summaries are cached per archive folder and read again only when
/// its files change, so a console may list on every broker snapshot. One operation at a time per broker, so a replay
/// and a discard (or two replays) of one archive never overlap.
/// </summary>
public sealed partial class SetAsideArchives
{
    /// <summary>The folder under the data directory that holds the archives.</summary>
    public const string FolderName = SetAsideArchive.FolderName;

    private readonly string _dataDirectory;
    private readonly string _brokerName;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, (string Fingerprint, SetAsideSummary Summary)> _summaries = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _operation = new(1, 1);

    internal SetAsideArchives(string brokerName, string dataDirectory, ILogger logger)
    {
        _brokerName = brokerName;
        _dataDirectory = dataDirectory;
        _logger = logger;
    }

    /// <summary>The archives not yet replayed or discarded, oldest first. File work: call it off a UI thread.</summary>
    public IReadOnlyList<SetAsideEntry> List(CancellationToken cancellationToken = default)
    {
        var entries = new List<SetAsideEntry>();
        foreach (var archive in SetAsideArchive.List(_dataDirectory))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (TrySummarize(archive) is { } summary)
            {
                entries.Add(new SetAsideEntry(archive.Path, summary));
            }
        }
        return entries;
    }

    /// <summary>Deletes the archive; what it held is gone for good. Returns what it held.</summary>
    /// <exception cref="SetAsideArchiveNotFoundException">No such archive.</exception>
    public async Task<SetAsideSummary> DiscardAsync(string id)
    {
        await _operation.WaitAsync();
        try
        {
            var archive = Find(id);
            var summary = await Task.Run(() => Summarize(archive));
            archive.Delete();
            _summaries.TryRemove(archive.Path, out _);
            return summary;
        }
        finally
        {
            _operation.Release();
        }
    }

    private SetAsideArchive Find(string id) =>
        SetAsideArchive.Find(_dataDirectory, id)
        ?? throw new SetAsideArchiveNotFoundException($"broker {_brokerName} has no set-aside archive '{id}' (replayed or discarded already?)");

    private SetAsideSummary? TrySummarize(SetAsideArchive archive)
    {
        try
        {
            return Summarize(archive);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Moved or deleted meanwhile (a replay, a discard, an operator's hand): no longer listed.
            LifecycleLog.SetAsideUnreadable(_logger, archive.Path, e.Message);
            return null;
        }
    }

    private SetAsideSummary Summarize(SetAsideArchive archive)
    {
        var fingerprint = archive.Fingerprint();
        if (_summaries.TryGetValue(archive.Path, out var cached) && cached.Fingerprint == fingerprint)
        {
            return cached.Summary;
        }
        var summary = archive.Summarize();
        _summaries[archive.Path] = (fingerprint, summary);
        return summary;
    }
}
