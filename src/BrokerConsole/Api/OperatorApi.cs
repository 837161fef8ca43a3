using System.Security.Claims;
using BrokerConsole.Hosting;
using BrokerConsole.Security;

namespace BrokerConsole.Api;

/// <summary>Operator actions over HTTP: promote a slave, switch over, stop and start a broker (admin only, audited).</summary>
public static class OperatorApi
{
    public static void MapOperatorApi(this WebApplication app)
    {
        var admin = app.MapGroup("/api/brokers/{b}").RequireAuthorization(SecurityExtensions.AdministerPolicy);
        foreach (var action in Enum.GetValues<OperatorAction>())
        {
            admin.MapPost("/" + action.ToString().ToLowerInvariant(), (string b, ClaimsPrincipal user, IOperatorActions actions) =>
                ApiResults.FromAsync(async () => Results.Ok(new { state = await actions.RunAsync(user, b, action) })));
        }
    }

    /// <summary>What a peer asks before opening its connectors (fencing): who is master here, at which epoch and sequence.</summary>
    public static void MapPeerApi(this WebApplication app) =>
        app.MapGet("/api/replication/peers", (BrokerRegistry registry) => registry.All.Select(b => Broker.Server.PeerStatus.Of(b.Lifecycle)))
        .RequireAuthorization(SecurityExtensions.ReplicatePolicy);
}
