using System.Security.Claims;
using BrokerConsole.Hosting;
using BrokerConsole.Remote;
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
            // ?host=<name> sends the action to that watched host's API (Console:Hosts) and passes its answer back.
            admin.MapPost("/" + action.ToString().ToLowerInvariant(), (string b, string? host, ClaimsPrincipal user, IOperatorActions actions,
                IRemoteActions remote, CancellationToken cancellationToken) => ApiResults.FromAsync(async () =>
                host is null or "" or ConsoleOptions.LocalHost
                    ? Results.Ok(new { state = await actions.RunAsync(user, b, action) })
                    : Forwarded(await remote.RunAsync(user, host, b, action, cancellationToken))));
        }
    }

    private static IResult Forwarded(ForwardedAnswer answer) => new ForwardedResult(answer);

    /// <summary>The remote host's status, content type and body as they came.</summary>
    private sealed class ForwardedResult(ForwardedAnswer answer) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = answer.Status;
            if (answer.ContentType is { } type)
            {
                httpContext.Response.ContentType = type;
            }
            await httpContext.Response.Body.WriteAsync(answer.Body, httpContext.RequestAborted);
        }
    }

    /// <summary>What a peer asks before opening its connectors (fencing): who is master here, at which epoch and sequence.</summary>
    public static void MapPeerApi(this WebApplication app) =>
        app.MapGet("/api/replication/peers", (BrokerRegistry registry) => registry.All.Select(b => Broker.Server.PeerStatus.Of(b.Lifecycle)))
        .RequireAuthorization(SecurityExtensions.ReplicatePolicy);
}
