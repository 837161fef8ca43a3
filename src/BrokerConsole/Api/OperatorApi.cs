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
        admin.MapPost("/switchover", (string b) => Results.Problem(
            detail: $"planned switchover of {b} is not available yet: promote the slave instead (clients reconnect by their failover URI)",
            statusCode: StatusCodes.Status501NotImplemented));
    }

    private static async Task<IResult> ActAsync(string name, string action, Func<HostedBroker, Task> act, HttpContext http, BrokerRegistry registry, ILoggerFactory loggers)
    {
        if (registry.Find(name) is not { } broker)
        {
            return Results.Problem(detail: $"no broker named '{name}' in this process", statusCode: StatusCodes.Status404NotFound);
        }
        try
        {
            await act(broker);
        }
        catch (InvalidOperationException e)
        {
            return Results.Problem(detail: e.Message, statusCode: StatusCodes.Status409Conflict);
        }
        QueueApi.Audit(http, loggers, action, name, "");
        return Results.Ok(new { state = BrokerView.StateOf(broker) });
    }
}
