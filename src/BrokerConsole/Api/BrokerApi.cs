using Broker.Core.Messages;
using BrokerConsole.Hosting;
using BrokerConsole.Monitoring;
using BrokerConsole.Remote;
using BrokerConsole.Security;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace BrokerConsole.Api;

/// <summary>The JSON HTTP API of docs/API.md: the read side of brokers, destinations and events.</summary>
public static class BrokerApi
{
    public static void MapBrokerApi(this WebApplication app)
    {
        var api = app.MapGroup("/api").RequireAuthorization(SecurityExtensions.ViewPolicy);
        // scope=local (the default) is the answer this route always gave; scope=all adds the watched hosts' brokers.
        api.MapGet("/brokers", (string? scope, BrokerRegistry registry, IMonitorSource monitor, Fleet fleet, IOptions<JsonOptions> json) => scope switch
        {
            null or "" or "local" => Results.Ok(registry.All.Select(b => BrokerView.From(b, monitor))),
            "all" => FleetApi.AllBrokers(fleet, json),
            _ => ApiResults.BadRequest($"scope '{scope}' must be local or all"),
        });
        api.MapGet("/brokers/{name}", (string name, BrokerRegistry registry, IMonitorSource monitor) =>
            registry.Find(name) is { } broker ? Results.Ok(BrokerView.From(broker, monitor)) : ApiResults.UnknownBroker(name));
        api.MapGet("/brokers/{name}/destinations", (string name, string? kind, string? search, int? offset, int? limit, BrokerRegistry registry) =>
        {
            if (registry.Find(name) is not { } broker)
            {
                return ApiResults.UnknownBroker(name);
            }
            DestinationKind? wanted;
            switch (kind)
            {
                case null or "": wanted = null; break;
                case "queue": wanted = DestinationKind.Queue; break;
                case "topic": wanted = DestinationKind.Topic; break;
                default: return ApiResults.BadRequest($"kind '{kind}' must be queue or topic");
            }
            if (offset < 0 || limit is < 1 or > 1000)
            {
                return ApiResults.BadRequest("offset must be 0 or more and limit 1 to 1000");
            }
            var matching = broker.Broker.GetDestinations()
                .Where(d => wanted is null || d.Kind == wanted)
                .Where(d => string.IsNullOrEmpty(search) || d.Name.Contains(search, StringComparison.OrdinalIgnoreCase))
                .ToList();
            return Results.Ok(new
            {
                total = matching.Count,
                items = matching.Skip(offset ?? 0).Take(limit ?? 100).Select(d => new
                {
                    name = d.Name,
                    kind = d.Kind == DestinationKind.Queue ? "queue" : "topic",
                    pending = d.Pending,
                    consumers = d.Consumers,
                    enqueued = d.Enqueued,
                    dequeued = d.Dequeued,
                    inflight = d.InFlight,
                }),
            });
        });
        api.MapGet("/events", (DateTimeOffset? since, string? scope, BrokerRegistry registry, Fleet fleet) => scope switch
        {
            null or "" or "local" => Results.Ok(registry.Events.Since(since).Select(e => new
            {
                time = e.Time,
                broker = e.Broker,
                kind = e.Kind.ToString(),
                detail = e.Detail,
            })),
            // The same items with the host first, every host's timeline merged by time.
            "all" => Results.Ok(fleet.Events(since).Select(e => new
            {
                host = e.Host,
                time = e.Event.Time,
                broker = e.Event.Broker,
                kind = e.Event.Kind.ToString(),
                detail = e.Event.Detail,
            })),
            _ => ApiResults.BadRequest($"scope '{scope}' must be local or all"),
        });
    }
}
