using System.Security.Claims;
using System.Text;
using Broker.Core;
using Broker.Core.Messages;
using BrokerConsole.Security;

namespace BrokerConsole.Api;

/// <summary>Browse, send, purge, delete, move and copy over HTTP (docs/API.md): a thin adapter over <see cref="QueueOperations"/>.</summary>
public static class QueueApi
{
    public static void MapQueueApi(this WebApplication app)
    {
        var view = app.MapGroup("/api/brokers/{b}").RequireAuthorization(SecurityExtensions.ViewPolicy);
        var admin = app.MapGroup("/api/brokers/{b}").RequireAuthorization(SecurityExtensions.AdministerPolicy);

        view.MapGet("/queues/{q}/messages", (string b, string q, int? offset, int? limit, string? filter, string? selector, QueueOperations queues) =>
            ApiResults.From(() =>
            {
                var (total, page) = queues.Browse(b, q, offset ?? 0, limit ?? 100, filter, selector);
                return Results.Ok(new { total, items = page.Select(m => MessageView(m.Message, m.DeliveryCount)) });
            }));
        view.MapGet("/queues/{q}/messages/{id}/body", (string b, string q, string id, QueueOperations queues, HttpContext http) =>
            ApiResults.From(() =>
            {
                if (queues.Find(b, q, id) is not { } found)
                {
                    return ApiResults.NotFound($"message '{id}' is not in queue '{q}'");
                }
                // Never the producer's content-type: a text/html body must not run as a page of the console's origin.
                http.Response.Headers.XContentTypeOptions = "nosniff";
                return Results.File(found.Message.Body.ToArray(), "application/octet-stream", BodyFileName(id));
            }));

        admin.MapPost("/queues/{q}/messages", (string b, string q, SendRequest request, ClaimsPrincipal user, QueueOperations queues) =>
            SendAsync(queues, user, b, DestinationName.Queue(q), request));
        admin.MapPost("/topics/{t}/messages", (string b, string t, SendRequest request, ClaimsPrincipal user, QueueOperations queues) =>
            SendAsync(queues, user, b, DestinationName.Topic(t), request));
        admin.MapDelete("/queues/{q}/messages", (string b, string q, ClaimsPrincipal user, QueueOperations queues) =>
            ApiResults.FromAsync(async () => Results.Ok(new { purged = await queues.PurgeAsync(user, b, q) })));
        admin.MapDelete("/queues/{q}/messages/{id}", (string b, string q, string id, ClaimsPrincipal user, QueueOperations queues) =>
            ApiResults.From(() =>
            {
                queues.DeleteMessage(user, b, q, id);
                return Results.NoContent();
            }));
        admin.MapPost("/queues/{q}/messages/{id}/move", (string b, string q, string id, MoveRequest request, ClaimsPrincipal user, QueueOperations queues) =>
            ApiResults.FromAsync(async () => Results.Ok(new { messageId = await queues.MoveAsync(user, b, q, id, request.Target, copy: false) })));
        admin.MapPost("/queues/{q}/messages/{id}/copy", (string b, string q, string id, MoveRequest request, ClaimsPrincipal user, QueueOperations queues) =>
            ApiResults.FromAsync(async () => Results.Ok(new { messageId = await queues.MoveAsync(user, b, q, id, request.Target, copy: true) })));
        admin.MapPost("/queues/{q}/messages/{id}/retry", (string b, string q, string id, ClaimsPrincipal user, QueueOperations queues) =>
            ApiResults.FromAsync(async () => Results.Ok(new { messageId = await queues.RetryAsync(user, b, q, id) })));
        admin.MapDelete("/queues/{q}", (string b, string q, ClaimsPrincipal user, QueueOperations queues) =>
            ApiResults.From(() =>
            {
                queues.DeleteQueue(user, b, q);
                return Results.NoContent();
            }));
    }

    public sealed record SendRequest(string? Body, string? BodyEncoding, Dictionary<string, string>? Headers, bool? Persistent, int? Priority, long? TtlMs, int? Count);

    public sealed record MoveRequest(string Target);

    /// <summary>The file name a downloaded body gets: the message id with anything unusual in a file name replaced.</summary>
    internal static string BodyFileName(string messageId) =>
        string.Concat(messageId.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_')) + ".bin";

    private static Task<IResult> SendAsync(QueueOperations queues, ClaimsPrincipal user, string b, DestinationName destination, SendRequest request) =>
        ApiResults.FromAsync(async () =>
        {
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
                throw OperationException.BadRequest(e.Message);
            }
            var command = new SendCommand(body, [.. (request.Headers ?? []).Select(h => KeyValuePair.Create(h.Key, h.Value))],
                request.Persistent ?? false, request.Priority ?? Message.DefaultPriority, request.TtlMs ?? 0, request.Count ?? 1);
            var ids = await queues.SendAsync(user, b, destination, command);
            return Results.Ok(new { sent = ids.Count, messageIds = ids });
        });

    private static object MessageView(Message message, int deliveryCount)
    {
        var isText = QueueOperations.IsText(message.Body.Span);
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
