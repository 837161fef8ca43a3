using BrokerConsole.Api;

namespace BrokerConsole.Remote;

/// <summary>
/// <c>?host=&lt;name&gt;</c> on a route under <c>/api/brokers/{b}/</c>: the request goes to that watched host's API and
/// its answer comes back as it is. It runs after authorization, so the local route's policy has already been applied
/// (a viewer may read a remote broker, only an admin may change one); only routes this host serves itself are
/// forwarded, and the remote host's own role checks still apply to the configured user.
/// </summary>
internal sealed class RemoteForwarding(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context, IRemoteActions remote)
    {
        var request = context.Request;
        if (context.GetEndpoint() is null
            || !request.Path.StartsWithSegments("/api/brokers", out var rest) || rest.Value is null or "" or "/"
            || request.Query["host"] is not [{ Length: > 0 } host] || host == ConsoleOptions.LocalHost)
        {
            await next(context);
            return;
        }
        var query = QueryString.Create(request.Query.Where(q => q.Key != "host")
            .SelectMany(q => q.Value.Select(v => new KeyValuePair<string, string?>(q.Key, v))));
        byte[]? body = null;
        if (request.ContentLength is > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer, context.RequestAborted);
            body = buffer.ToArray();
        }
        try
        {
            var answer = await remote.ForwardAsync(context.User, host, new HttpMethod(request.Method),
                RawPath(context) + query, body, request.ContentType, context.RequestAborted);
            context.Response.StatusCode = answer.Status;
            foreach (var (name, value) in answer.Headers)
            {
                context.Response.Headers.Append(name, value);
            }
            if (answer.ContentType is { } type)
            {
                context.Response.ContentType = type;
            }
            await context.Response.Body.WriteAsync(answer.Body, context.RequestAborted);
        }
        catch (OperationException e)
        {
            await ApiResults.Problem(e).ExecuteAsync(context);
        }
    }

    /// <summary>The path as the client wrote it: a queue name's <c>%2F</c> must reach the remote host still encoded.</summary>
    private static string RawPath(HttpContext context)
    {
        var raw = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(raw) || raw[0] != '/')
        {
            return (context.Request.PathBase + context.Request.Path).ToUriComponent();
        }
        var question = raw.IndexOf('?', StringComparison.Ordinal);
        return question < 0 ? raw : raw[..question];
    }
}
