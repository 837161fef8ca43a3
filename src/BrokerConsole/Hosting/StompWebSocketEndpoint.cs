using Broker.Stomp.Sessions;
using Broker.Stomp.Transports;

namespace BrokerConsole.Hosting;

/// <summary>STOMP over WebSocket at <c>/brokers/{name}/stomp</c>, open exactly while the broker's connectors are.</summary>
public static class StompWebSocketEndpoint
{
    private static readonly string[] Subprotocols = ["v12.stomp", "v11.stomp", "v10.stomp"];
    private static long s_nextConnectionId;

    public static void MapStompWebSockets(this WebApplication app) =>
        app.Map("/brokers/{name}/stomp", async (HttpContext context, string name, BrokerRegistry registry, ILoggerFactory loggers) =>
        {
            if (registry.Find(name) is not { } broker)
            {
                return Api.ApiResults.UnknownBroker(name);
            }
            if (!broker.ConnectorsOpen)
            {
                return Results.Problem(detail: $"broker {name} is not serving clients ({broker.Broker.State})", statusCode: StatusCodes.Status503ServiceUnavailable);
            }
            if (!context.WebSockets.IsWebSocketRequest)
            {
                return Api.ApiResults.BadRequest("a WebSocket upgrade is required");
            }
            var requested = context.WebSockets.WebSocketRequestedProtocols;
            var subprotocol = Subprotocols.FirstOrDefault(requested.Contains);
            using var socket = await context.WebSockets.AcceptWebSocketAsync(subprotocol);
            // "[::1]:5000", never "::1:5000": the login brake reads the address back out of it.
            var remote = context.Connection.RemoteIpAddress is { } ip ? new System.Net.IPEndPoint(ip, context.Connection.RemotePort).ToString() : "?";
            var connectionId = $"{name}-ws{Interlocked.Increment(ref s_nextConnectionId)}";
            await using var session = new StompSession(new WebSocketTransport(socket, remote), broker.Broker,
                broker.Authenticator, broker.StompOptions, loggers.CreateLogger<StompSession>(), connectionId);
            await session.RunAsync(context.RequestAborted);
            return Results.Empty;
        }).AllowAnonymous();
}
