using System.Security.Claims;
using Broker.Core.Storage;
using BrokerConsole.Api;

namespace BrokerConsole.Components.Tests;

/// <summary>
/// Set-aside archives the test lays out in <see cref="Archives"/>; replays and discards are recorded and take the
/// archive off the list; <see cref="Refusal"/> makes them fail with that reason.
/// </summary>
internal sealed class FakeSetAsideArchives : ISetAsideArchives
{
    public List<SetAsideView> Archives { get; } = [];

    public List<(string User, string Broker, string Id, string Action)> Runs { get; } = [];

    public string? Refusal { get; set; }

    public static SetAsideView View(string broker, string id, int messages, string? into = "amq1S", string? refusal = null) => new(
        broker, $"/data/{broker}/set-aside/{id}",
        new SetAsideSummary(id, new DateTimeOffset(2026, 11, 27, 10, 15, 0, TimeSpan.Zero), 501, messages + 3, messages, messages * 100L,
            new DateTimeOffset(2026, 11, 27, 10, 14, 1, TimeSpan.Zero), new DateTimeOffset(2026, 11, 27, 10, 14, 14, TimeSpan.Zero),
            messages > 0 ? [new SetAsideDestination("/queue/orders", messages - 1), new SetAsideDestination("/queue/audit", 1)] : [], 2, 0, null),
        into, refusal);

    public Task<IReadOnlyList<SetAsideView>> ListAsync(string broker, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<SetAsideView>>([.. Archives.Where(a => a.Broker == broker)]);

    public Task<SetAsideReplay> ReplayAsync(ClaimsPrincipal user, string broker, string id)
    {
        var view = Run(user, broker, id, "replay");
        return Task.FromResult(new SetAsideReplay(broker, id, view.ReplayInto!, view.Archive.Messages, view.Archive.Messages - 1, 1, true, $"/data/{broker}/set-aside/replayed/{id}"));
    }

    public Task<SetAsideSummary> DiscardAsync(ClaimsPrincipal user, string broker, string id) =>
        Task.FromResult(Run(user, broker, id, "discard").Archive);

    private SetAsideView Run(ClaimsPrincipal user, string broker, string id, string action)
    {
        if (Refusal is not null)
        {
            throw OperationException.Conflict(Refusal);
        }
        var view = Archives.Single(a => a.Broker == broker && a.Archive.Id == id);
        Archives.Remove(view);
        Runs.Add((user.Identity?.Name ?? "?", broker, id, action));
        return view;
    }
}
