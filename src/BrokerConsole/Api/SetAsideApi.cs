using System.Security.Claims;
using BrokerConsole.Security;

namespace BrokerConsole.Api;

/// <summary>
/// Set-aside archives over HTTP: <c>GET /api/brokers/{b}/set-aside</c> (viewer), <c>POST .../set-aside/{id}/replay</c>
/// and <c>POST .../set-aside/{id}/discard</c> (admin, audited). A thin adapter over <see cref="ISetAsideArchives"/>.
/// </summary>
public static class SetAsideApi
{
    public static void MapSetAsideApi(this WebApplication app)
    {
        var view = app.MapGroup("/api/brokers/{b}/set-aside").RequireAuthorization(SecurityExtensions.ViewPolicy);
        var admin = app.MapGroup("/api/brokers/{b}/set-aside/{id}").RequireAuthorization(SecurityExtensions.AdministerPolicy);

        view.MapGet("", (string b, ISetAsideArchives archives, CancellationToken cancellationToken) =>
            ApiResults.FromAsync(async () => Results.Ok((await archives.ListAsync(b, cancellationToken)).Select(ArchiveView))));
        admin.MapPost("/replay", (string b, string id, ClaimsPrincipal user, ISetAsideArchives archives) =>
            ApiResults.FromAsync(async () =>
            {
                var replay = await archives.ReplayAsync(user, b, id);
                return Results.Ok(new
                {
                    archive = replay.Archive,
                    into = replay.Into,
                    messages = replay.Messages,
                    replayed = replay.Replayed,
                    alreadyHeld = replay.AlreadyHeld,
                    historyComplete = replay.HistoryComplete,
                    movedTo = replay.MovedTo,
                });
            }));
        admin.MapPost("/discard", (string b, string id, ClaimsPrincipal user, ISetAsideArchives archives) =>
            ApiResults.FromAsync(async () =>
            {
                var discarded = await archives.DiscardAsync(user, b, id);
                return Results.Ok(new { archive = discarded.Id, discarded = discarded.Messages });
            }));
    }

    private static object ArchiveView(SetAsideView view)
    {
        var archive = view.Archive;
        return new
        {
            id = archive.Id,
            path = view.Path,
            setAsideAt = archive.SetAsideAt,
            divergedAt = archive.DivergedAt,
            records = archive.Records,
            messages = archive.Messages,
            bytes = archive.Bytes,
            firstMessageAt = archive.FirstMessageAt,
            lastMessageAt = archive.LastMessageAt,
            destinations = archive.Destinations.Select(d => new { destination = d.Destination, messages = d.Messages }),
            consumed = archive.Consumed,
            removed = archive.Removed,
            damage = archive.Damage,
            replayInto = view.ReplayInto,
            replayRefusal = view.ReplayRefusal,
        };
    }
}
