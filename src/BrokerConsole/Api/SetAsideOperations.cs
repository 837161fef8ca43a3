using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Claims;
using Broker.Storage;
using BrokerConsole.Hosting;

namespace BrokerConsole.Api;

/// <summary>
/// <see cref="ISetAsideArchives"/> over the brokers of this process. Summaries are cached per archive folder and read
/// again only when its files change, so the console may list on every broker snapshot. One operation at a time, so a
/// replay and a discard (or two replays) of one archive never overlap.
/// </summary>
internal sealed partial class SetAsideOperations(BrokerRegistry registry, Audit audit, ILoggerFactory loggers) : ISetAsideArchives
{
    private readonly ConcurrentDictionary<string, (string Fingerprint, SetAsideSummary Summary)> _summaries = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _operation = new(1, 1);
    private readonly ILogger _logger = loggers.CreateLogger<SetAsideOperations>();

    public Task<IReadOnlyList<SetAsideView>> ListAsync(string broker, CancellationToken cancellationToken = default)
    {
        var owner = registry.Find(broker) ?? throw OperationException.UnknownBroker(broker);
        // Reading an archive is file work (a large one takes a while): off the caller's thread.
        return Task.Run<IReadOnlyList<SetAsideView>>(() =>
        {
            var views = new List<SetAsideView>();
            foreach (var archive in SetAsideArchive.List(owner.Definition.Options.DataDirectory))
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (TrySummarize(archive) is { } summary)
                {
                    var (target, refusal) = ReplayTarget(owner, archive);
                    views.Add(new SetAsideView(owner.Name, archive.Path, summary, target?.Name, refusal));
                }
            }
            return views;
        }, cancellationToken);
    }

    public async Task<SetAsideSummary> DiscardAsync(ClaimsPrincipal user, string broker, string id)
    {
        Audit.RequireAdministrator(user);
        var owner = registry.Find(broker) ?? throw OperationException.UnknownBroker(broker);
        await _operation.WaitAsync();
        try
        {
            var archive = Find(owner, id);
            var summary = await Task.Run(() => Summarize(archive));
            archive.Delete();
            _summaries.TryRemove(archive.Path, out _);
            audit.Write(user, "discard-set-aside", $"{broker}/set-aside/{id}", Describe(summary));
            return summary;
        }
        finally
        {
            _operation.Release();
        }
    }

    /// <summary>Where a replay of <paramref name="owner"/>'s archive goes now, or why it cannot be replayed here.</summary>
    private (HostedBroker? Target, string? Refusal) ReplayTarget(HostedBroker owner, SetAsideArchive archive)
    {
        HostedBroker? master;
        if (owner.Lifecycle.Role == Broker.Server.LifecycleRole.Master)
        {
            master = owner;
        }
        else
        {
            // A slave's own store follows its master: the messages go to that master, when this process runs it.
            var masterName = owner.Lifecycle.Replication.Partner;
            master = registry.All.FirstOrDefault(b => b != owner && b.Lifecycle.Role == Broker.Server.LifecycleRole.Master && b.Name == masterName);
            if (master is null)
            {
                return (null, $"{owner.Name} is a slave of {masterName ?? owner.Definition.Replication.MasterUri ?? "a master"}, which this process does not run: "
                    + $"copy the folder {archive.Path} into the master's data directory, under {SetAsideArchive.FolderName}/, and replay it on the master's host");
            }
        }
        if (!master.Broker.IsWritable || master.Lifecycle.Journal is null)
        {
            return (null, $"the master {master.Name} takes no changes now ({BrokerView.StateOf(master)}); replay once it serves");
        }
        return (master, null);
    }

    private SetAsideArchive Find(HostedBroker owner, string id) =>
        SetAsideArchive.Find(owner.Definition.Options.DataDirectory, id)
        ?? throw OperationException.NotFound($"broker {owner.Name} has no set-aside archive '{id}' (replayed or discarded already?)");

    private SetAsideSummary? TrySummarize(SetAsideArchive archive)
    {
        try
        {
            return Summarize(archive);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Moved or deleted meanwhile (a replay, a discard, an operator's hand): no longer listed.
            ApiLog.SetAsideUnreadable(_logger, archive.Path, e.Message);
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

    /// <summary>For the audit line: how many messages, when, and where they were going.</summary>
    internal static string Describe(SetAsideSummary summary) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{summary.Messages} messages ({summary.Bytes} bytes) from {summary.FirstMessageAt:O} to {summary.LastMessageAt:O} for "
            + $"{string.Join(", ", summary.Destinations.Select(d => $"{d.Destination} ({d.Messages})"))}; {summary.Records} records from sequence {summary.DivergedAt}");
}
