using System.Text.Json;
using System.Text.Json.Nodes;
using BrokerConsole.Api;
using BrokerConsole.Hosting;
using BrokerConsole.Monitoring;
using BrokerConsole.Security;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace BrokerConsole.Remote;

/// <summary><c>GET /api/hosts</c>, <c>/api/pairs</c>, <c>/api/version</c> and the <c>scope=all</c> answer of <c>GET /api/brokers</c> (docs/API.md).</summary>
public static class FleetApi
{
    public static void MapFleetApi(this WebApplication app)
    {
        var api = app.MapGroup("/api").RequireAuthorization(SecurityExtensions.ViewPolicy);
        api.MapGet("/hosts", (Fleet fleet) => fleet.Hosts().Select(h => new
        {
            name = h.Name,
            url = h.Url,
            state = h.StateName,
            since = h.Since,
            lastError = h.LastError,
            protocolVersion = h.ProtocolVersion,
            versionMismatch = h.VersionMismatch,
        }));
        api.MapGet("/pairs", (Fleet fleet) => fleet.Pairs());
        api.MapGet("/version", (BrokerRegistry registry) => HostDescription.Of(registry));
    }

    /// <summary>
    /// Every broker of every host: each item is exactly a <c>GET /api/brokers</c> item (as the host last sent it) with
    /// <c>host</c> first, the configured name of its host or <c>local</c>.
    /// </summary>
    internal static IResult AllBrokers(Fleet fleet, IOptions<JsonOptions> json)
    {
        var options = json.Value.SerializerOptions;
        var items = new JsonArray();
        foreach (var broker in fleet.Brokers())
        {
            var item = JsonSerializer.SerializeToNode(broker.View, options)!.AsObject();
            item.Insert(0, "host", broker.Host);
            items.Add(item);
        }
        return Results.Json(items, options);
    }
}
