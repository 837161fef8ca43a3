using System.Security.Claims;
using Broker.Core.Storage;

namespace BrokerConsole.Api;

/// <summary>
/// The records a broker of this process set aside after a split (<see cref="SetAsideArchive"/>): listed per broker,
/// replayed into the current master or discarded by an operator (admin only, audited). The HTTP API and the
/// console's Brokers page share it.
/// </summary>
public interface ISetAsideArchives
{
    /// <summary>The archives of <paramref name="broker"/> not yet replayed or discarded, oldest first, with where a replay would go now.</summary>
    Task<IReadOnlyList<SetAsideView>> ListAsync(string broker, CancellationToken cancellationToken = default);

    /// <summary>
    /// Sends the archive's unconsumed messages to the current master (this broker, or the master it follows when that
    /// master runs in this process), skipping those the master already holds; then moves the archive to
    /// <c>set-aside/replayed/</c>. Throws <see cref="OperationException"/> with the reason when it may not or cannot.
    /// </summary>
    Task<SetAsideReplay> ReplayAsync(ClaimsPrincipal user, string broker, string id);

    /// <summary>Deletes the archive; what it held is gone for good. Returns what it held.</summary>
    Task<SetAsideSummary> DiscardAsync(ClaimsPrincipal user, string broker, string id);
}

/// <summary>
/// One archive of <see cref="Broker"/> as listed: what it holds, its folder, and the broker a replay would send it to
/// now (<see cref="ReplayInto"/>) or why a replay here is refused (<see cref="ReplayRefusal"/>).
/// </summary>
public sealed record SetAsideView(string Broker, string Path, SetAsideSummary Archive, string? ReplayInto, string? ReplayRefusal);

/// <summary>
/// What a replay did: of <see cref="Messages"/> distinct unconsumed messages, <see cref="Replayed"/> were sent to
/// <see cref="Into"/> and <see cref="AlreadyHeld"/> skipped because the master's journal holds the same message id or
/// the same <c>producer-id</c>/<c>producer-seq</c>. <see cref="HistoryComplete"/> is false when the master's journal was
/// compacted past the split: then only messages it still holds could be recognised, and a message it had already
/// delivered may be delivered again. <see cref="MovedTo"/> is where the archive went.
/// </summary>
public sealed record SetAsideReplay(string Broker, string Archive, string Into, int Messages, int Replayed, int AlreadyHeld, bool HistoryComplete, string MovedTo);
