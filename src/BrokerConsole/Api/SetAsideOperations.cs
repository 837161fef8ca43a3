using System.Globalization;
using System.Security.Claims;
using Broker.Core.Storage;
using Broker.Server;
using BrokerConsole.Hosting;

namespace BrokerConsole.Api;

/// <summary>
/// <see cref="ISetAsideArchives"/> over the brokers of this process: each broker's <see cref="SetAsideArchives"/>
/// does the file work; this adds who may (admin), the audit line, and where a replay goes among the brokers here.
/// </summary>
internal sealed class SetAsideOperations(BrokerRegistry registry, Audit audit) : ISetAsideArchives
{
    // One replay at a time in this process: two archives replayed into one master at once would each read what the
    // master holds before the other sent, and send their common messages twice.
    private readonly SemaphoreSlim _replays = new(1, 1);

    public Task<IReadOnlyList<SetAsideView>> ListAsync(string broker, CancellationToken cancellationToken = default)
    {
        var owner = registry.Find(broker) ?? throw OperationException.UnknownBroker(broker);
        // Reading an archive is file work (a large one takes a while): off the caller's thread.
        return Task.Run<IReadOnlyList<SetAsideView>>(() =>
        [
            .. owner.Lifecycle.SetAside.List(cancellationToken).Select(entry =>
            {
                var (target, refusal) = ReplayTarget(owner, entry.Path);
                return new SetAsideView(owner.Name, entry.Path, entry.Summary, target?.Name, refusal);
            }),
        ], cancellationToken);
    }

    public async Task<SetAsideReplay> ReplayAsync(ClaimsPrincipal user, string broker, string id)
    {
        Audit.RequireAdministrator(user);
        var owner = registry.Find(broker) ?? throw OperationException.UnknownBroker(broker);
        var (target, refusal) = ReplayTarget(owner, Path.Combine(owner.Definition.Options.DataDirectory, SetAsideArchives.FolderName, id));
        if (target is null)
        {
            throw OperationException.Conflict($"the archive {id} of {broker} cannot be replayed here: {refusal}");
        }
        var where = $"{broker}/set-aside/{id}";
        await _replays.WaitAsync();
        try
        {
            var replay = await owner.Lifecycle.SetAside.ReplayIntoAsync(id, target.Lifecycle);
            audit.Write(user, "replay-set-aside", where, string.Create(CultureInfo.InvariantCulture,
                $"into {target.Name}: {replay.Replayed} of {replay.Messages} messages sent, {replay.AlreadyHeld} already held by the master{(replay.HistoryComplete ? "" : " (its journal was compacted past the split: only messages it still holds were recognised)")}; archive moved to {replay.MovedTo}"));
            return new SetAsideReplay(broker, id, target.Name, replay.Messages, replay.Replayed, replay.AlreadyHeld, replay.HistoryComplete, replay.MovedTo);
        }
        catch (SetAsideArchiveNotFoundException e)
        {
            throw OperationException.NotFound(e.Message);
        }
        catch (SetAsideReplayStoppedException e)
        {
            audit.Write(user, "replay-set-aside", where, $"into {target.Name}: {e.Message}; the archive stays");
            throw OperationException.Conflict($"replay into {target.Name} {e.Message}. The archive stays; replaying it again skips what went.");
        }
        finally
        {
            _replays.Release();
        }
    }

    public async Task<SetAsideSummary> DiscardAsync(ClaimsPrincipal user, string broker, string id)
    {
        Audit.RequireAdministrator(user);
        var owner = registry.Find(broker) ?? throw OperationException.UnknownBroker(broker);
        try
        {
            var summary = await owner.Lifecycle.SetAside.DiscardAsync(id);
            audit.Write(user, "discard-set-aside", $"{broker}/set-aside/{id}", Describe(summary));
            return summary;
        }
        catch (SetAsideArchiveNotFoundException e)
        {
            throw OperationException.NotFound(e.Message);
        }
    }

    /// <summary>Where a replay of <paramref name="owner"/>'s archive goes now, or why it cannot be replayed here.</summary>
    private (HostedBroker? Target, string? Refusal) ReplayTarget(HostedBroker owner, string archivePath)
    {
        HostedBroker? master;
        if (owner.Lifecycle.Role == LifecycleRole.Master)
        {
            master = owner;
        }
        else
        {
            // A slave's own store follows its master: the messages go to that master, when this process runs it.
            var masterName = owner.Lifecycle.Replication.Partner;
            master = registry.All.FirstOrDefault(b => b != owner && b.Lifecycle.Role == LifecycleRole.Master && b.Name == masterName);
            if (master is null)
            {
                return (null, $"{owner.Name} is a slave of {masterName ?? owner.Definition.Replication.MasterUri ?? "a master"}, which this process does not run: "
                    + $"copy the folder {archivePath} into the master's data directory, under {SetAsideArchives.FolderName}/, and replay it on the master's host");
            }
        }
        if (!master.Lifecycle.TakesChanges)
        {
            return (null, $"the master {master.Name} takes no changes now ({BrokerView.StateOf(master)}); replay once it serves");
        }
        return (master, null);
    }

    /// <summary>For the audit line: how many messages, when, and where they were going.</summary>
    internal static string Describe(SetAsideSummary summary) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{summary.Messages} messages ({summary.Bytes} bytes) from {summary.FirstMessageAt:O} to {summary.LastMessageAt:O} for "
            + $"{string.Join(", ", summary.Destinations.Select(d => $"{d.Destination} ({d.Messages})"))}; {summary.Records} records from sequence {summary.DivergedAt}");
}
