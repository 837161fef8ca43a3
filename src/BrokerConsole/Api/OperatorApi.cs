using BrokerConsole.Hosting;
using BrokerConsole.Security;

namespace BrokerConsole.Api;

/// <summary>Operator actions over HTTP: promote a slave, stop and start a broker (admin only, audited).</summary>
public static class OperatorApi
{
    public static void MapOperatorApi(this WebApplication app)
    {
        var admin = app.MapGroup("/api/brokers/{b}").RequireAuthorization(SecurityExtensions.AdministerPolicy);
        admin.MapPost("/promote", (string b, HttpContext http, BrokerRegistry registry, ILoggerFactory loggers) =>
            ActAsync(b, "promote", broker => broker.PromoteByOperatorAsync(), http, registry, loggers));
        admin.MapPost("/stop", (string b, HttpContext http, BrokerRegistry registry, ILoggerFactory loggers) =>
            ActAsync(b, "stop", broker => broker.StopByOperatorAsync(), http, registry, loggers));
        admin.MapPost("/start", (string b, HttpContext http, BrokerRegistry registry, ILoggerFactory loggers) =>
            ActAsync(b, "start", broker => broker.StartByOperatorAsync(), http, registry, loggers));
        admin.MapPost("/switchover", (string b, HttpContext http, BrokerRegistry registry, ILoggerFactory loggers) =>
            ActAsync(b, "switchover", broker => broker.SwitchoverByOperatorAsync(), http, registry, loggers));
    }

    /// <summary>What a peer asks before opening its connectors (fencing): who is master here, at which epoch and sequence.</summary>
    public static void MapPeerApi(this WebApplication app) =>
        app.MapGet("/api/replication/peers", (BrokerRegistry registry) => registry.All.Select(b => new PeerView(
            b.Name,
            b.Role == BrokerRole.Master ? "master" : "slave",
            b.ConnectorsOpen,
            b.Journal?.Epoch ?? 0,
            b.Journal?.LastSequence ?? 0,
            b.Connectors.FirstOrDefault()?.BoundPort ?? 0)))
        .RequireAuthorization(SecurityExtensions.ReplicatePolicy);

    public sealed record PeerView(string Name, string Role, bool Serving, long Epoch, long LastSequence, int Port);

    private static async Task<IResult> ActAsync(string name, string action, Func<HostedBroker, Task> act, HttpContext http, BrokerRegistry registry, ILoggerFactory loggers)
    {
        if (registry.Find(name) is not { } broker)
        {
            return ApiResults.UnknownBroker(name);
        }
        try
        {
            await act(broker);
        }
        catch (InvalidOperationException e)
        {
            return ApiResults.Conflict(e.Message);
        }
        QueueApi.Audit(http, loggers, action, name, "");
        return Results.Ok(new { state = BrokerView.StateOf(broker) });
    }
}
