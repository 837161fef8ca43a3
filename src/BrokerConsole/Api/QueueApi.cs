using System.Text;
using Broker.Core;
using Broker.Core.Messages;
using BrokerConsole.Hosting;
using BrokerConsole.Security;

namespace BrokerConsole.Api;

/// <summary>Browse, send, purge, delete, move and copy over HTTP (shared/API.md); every change is audited.</summary>
public static class QueueApi
{
    private const int MaxPage = 1000;
    private const int BodyPreviewBytes = 64 * 1024;

    public static void MapQueueApi(this WebApplication app)
    {
        var view = app.MapGroup("/api/brokers/{b}").RequireAuthorization(SecurityExtensions.ViewPolicy);
        var admin = app.MapGroup("/api/brokers/{b}").RequireAuthorization(SecurityExtensions.AdministerPolicy);

        view.MapGet("/queues/{q}/messages", (string b, string q, int? offset, int? limit, string? filter, BrokerRegistry registry) =>
        {
            if (registry.Find(b) is not { } broker)
            {
                return ApiResults.UnknownBroker(b);
            }
            if (offset < 0 || limit is < 1 or > MaxPage)
            {
                return ApiResults.BadRequest($"offset must be 0 or more and limit 1 to {MaxPage}");
            }
            var matching = broker.Broker.Browse(q).Where(m => Matches(m.Message, filter)).ToList();
            return Results.Ok(new
            {
                total = matching.Count,
                items = matching.Skip(offset ?? 0).Take(limit ?? 100).Select(m => MessageView(m.Message, m.DeliveryCount)),
            });
        });

        admin.MapPost("/queues/{q}/messages", (string b, string q, SendRequest request, HttpContext http, BrokerRegistry registry) =>
            SendAsync(registry, b, DestinationName.Queue(q), request, http));
        admin.MapPost("/topics/{t}/messages", (string b, string t, SendRequest request, HttpContext http, BrokerRegistry registry) =>
            SendAsync(registry, b, DestinationName.Topic(t), request, http));

        admin.MapDelete("/queues/{q}/messages", (string b, string q, HttpContext http, BrokerRegistry registry, ILoggerFactory loggers) =>
        {
            if (registry.Find(b) is not { } broker)
            {
                return ApiResults.UnknownBroker(b);
            }
            var purged = broker.Broker.Purge(q);
            Audit(http, loggers, "purge", $"{b}/queue/{q}", $"{purged} messages");
            return Results.Ok(new { purged });
        });

        admin.MapDelete("/queues/{q}/messages/{id}", (string b, string q, string id, HttpContext http, BrokerRegistry registry, ILoggerFactory loggers) =>
        {
            if (registry.Find(b) is not { } broker)
            {
                return ApiResults.UnknownBroker(b);
            }
            if (!broker.Broker.DeleteMessage(q, id))
            {
                return ApiResults.NotFound($"message '{id}' is not waiting in queue '{q}' (absent, or out with a consumer)");
            }
            Audit(http, loggers, "delete-message", $"{b}/queue/{q}/{id}", "");
            return Results.NoContent();
        });

        admin.MapPost("/queues/{q}/messages/{id}/move", (string b, string q, string id, MoveRequest request, HttpContext http, BrokerRegistry registry, ILoggerFactory loggers) =>
            MoveAsync(registry, b, q, id, request, copy: false, http, loggers));
        admin.MapPost("/queues/{q}/messages/{id}/copy", (string b, string q, string id, MoveRequest request, HttpContext http, BrokerRegistry registry, ILoggerFactory loggers) =>
            MoveAsync(registry, b, q, id, request, copy: true, http, loggers));

        admin.MapDelete("/queues/{q}", (string b, string q, HttpContext http, BrokerRegistry registry, ILoggerFactory loggers) =>
        {
            if (registry.Find(b) is not { } broker)
            {
                return ApiResults.UnknownBroker(b);
            }
            if (!broker.Broker.DeleteDestination(DestinationName.Queue(q)))
            {
                return ApiResults.NotFound($"no queue named '{q}'");
            }
            Audit(http, loggers, "delete-queue", $"{b}/queue/{q}", "");
            return Results.NoContent();
        });
    }

    public sealed record SendRequest(string? Body, string? BodyEncoding, Dictionary<string, string>? Headers, bool? Persistent, int? Priority, long? TtlMs, int? Count);

    public sealed record MoveRequest(string Target);

    /// <summary>Writes one audit line: who did what to which target.</summary>
    public static void Audit(HttpContext http, ILoggerFactory loggers, string action, string target, string detail) =>
        ApiLog.Audit(loggers.CreateLogger("BrokerConsole.Audit"), http.User.Identity?.Name ?? "?", action, target, detail);

    private static async Task<IResult> SendAsync(BrokerRegistry registry, string b, DestinationName destination, SendRequest request, HttpContext http)
    {
        if (registry.Find(b) is not { } broker)
        {
            return ApiResults.UnknownBroker(b);
        }
        if (!DestinationName.IsValidName(destination.Name, out var nameError))
        {
            return ApiResults.BadRequest($"destination '{destination.Name}': {nameError}");
        }
        if (request.Count is < 1 or > 100_000 || request.Priority is < 0 or > 9 || request.TtlMs < 0)
        {
            return ApiResults.BadRequest("count must be 1 to 100000, priority 0 to 9, ttlMs 0 or more");
        }
        byte[] body;
        try
        {
            body = request.BodyEncoding switch
            {
                null or "text" => Encoding.UTF8.GetBytes(request.Body ?? ""),
                "base64" => Convert.FromBase64String(request.Body ?? ""),
                var other => throw new FormatException($"bodyEncoding '{other}' must be text or base64"),
            };
        }
        catch (FormatException e)
        {
            return ApiResults.BadRequest(e.Message);
        }
        var count = request.Count ?? 1;
        var ids = new List<string>(count);
        var now = broker.Broker.Clock.GetUtcNow().ToUnixTimeMilliseconds();
        try
        {
            for (var i = 0; i < count; i++)
            {
                var headers = (request.Headers ?? []).Select(h => KeyValuePair.Create(h.Key, h.Value)).ToList();
                if (count > 1)
                {
                    headers.Add(new("x-copy", (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)));
                }
                var message = new Message
                {
                    MessageId = broker.Broker.NextMessageId(),
                    Destination = destination,
                    Headers = headers,
                    Body = body,
                    Persistent = request.Persistent ?? false,
                    Priority = (byte)(request.Priority ?? Message.DefaultPriority),
                    Timestamp = now,
                    Expires = request.TtlMs is > 0 ? now + request.TtlMs.Value : 0,
                };
                await broker.Broker.Send(message);
                ids.Add(message.MessageId);
            }
        }
        catch (BrokerException e)
        {
            return ApiResults.Conflict(e.Message);
        }
        Audit(http, http.RequestServices.GetRequiredService<ILoggerFactory>(), "send", $"{b}{destination}", $"{count} messages");
        return Results.Ok(new { sent = ids.Count, messageIds = ids });
    }

    private static async Task<IResult> MoveAsync(BrokerRegistry registry, string b, string q, string id, MoveRequest request, bool copy, HttpContext http, ILoggerFactory loggers)
    {
        if (registry.Find(b) is not { } broker)
        {
            return ApiResults.UnknownBroker(b);
        }
        if (!DestinationName.TryParse(request.Target.StartsWith('/') ? request.Target : "/queue/" + request.Target, out var target, out var error))
        {
            return ApiResults.BadRequest($"target: {error}");
        }
        var newId = await broker.Broker.MoveMessageAsync(q, id, target, copy);
        if (newId is null)
        {
            return ApiResults.NotFound($"message '{id}' is not waiting in queue '{q}'");
        }
        Audit(http, loggers, copy ? "copy-message" : "move-message", $"{b}/queue/{q}/{id}", $"to {target}");
        return Results.Ok(new { messageId = newId });
    }

    private static bool Matches(Message message, string? filter)
    {
        if (string.IsNullOrEmpty(filter))
        {
            return true;
        }
        return message.Headers.Any(h => h.Value.Contains(filter, StringComparison.OrdinalIgnoreCase) || h.Key.Contains(filter, StringComparison.OrdinalIgnoreCase))
            || message.MessageId.Contains(filter, StringComparison.OrdinalIgnoreCase)
            || Encoding.UTF8.GetString(message.Body.Span[..Math.Min(message.Body.Length, BodyPreviewBytes)]).Contains(filter, StringComparison.OrdinalIgnoreCase);
    }

    private static object MessageView(Message message, int deliveryCount)
    {
        var isText = System.Text.Unicode.Utf8.IsValid(message.Body.Span) && !message.Body.Span.Contains((byte)0);
        return new
        {
            messageId = message.MessageId,
            headers = message.Headers.DistinctBy(h => h.Key).ToDictionary(h => h.Key, h => h.Value),
            body = isText ? Encoding.UTF8.GetString(message.Body.Span) : Convert.ToBase64String(message.Body.Span),
            bodyEncoding = isText ? "text" : "base64",
            size = message.Body.Length,
            redelivered = deliveryCount > 0,
            deliveryCount,
            timestamp = message.Timestamp,
            persistent = message.Persistent,
            priority = message.Priority,
            expires = message.Expires,
        };
    }

}
