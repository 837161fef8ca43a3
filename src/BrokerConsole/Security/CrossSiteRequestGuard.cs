using Microsoft.AspNetCore.Antiforgery;

namespace BrokerConsole.Security;

/// <summary>
/// Refuses requests that a page of another origin made with the user's credentials. <c>SameSite=Strict</c> does
/// not stop them: every port of a host is the same site, so a form on <c>http://127.0.0.1:9999</c> posts to the
/// console with its cookie. So, on every endpoint that is not anonymous:
/// <list type="bullet">
/// <item>a request with credentials (the cookie, or Basic a browser remembered) whose <c>Origin</c> names another
/// origin is refused (this also stops a foreign page from opening the hub's or the circuit's WebSocket);</item>
/// <item>a change (POST, PUT, DELETE, PATCH) with credentials whose <c>Origin</c>, or without one <c>Referer</c>,
/// names another origin is refused;</item>
/// <item>a change made with the cookie must prove where it comes from: a same-origin <c>Origin</c> or <c>Referer</c>
/// (every browser sends one of them on a POST), or a valid antiforgery token.</item>
/// </list>
/// Scripts with Basic credentials (curl -u, brokerctl) send neither header and pass as before.
/// </summary>
internal sealed class CrossSiteRequestGuard(RequestDelegate next, IAntiforgery antiforgery, SecurityOptions options, ILogger<CrossSiteRequestGuard> logger)
{
    private readonly Uri[] _allowed = [.. options.AllowedOrigins.Select(o => new Uri(o))];

    public async Task InvokeAsync(HttpContext context)
    {
        if (await RefusalAsync(context) is not { } reason)
        {
            await next(context);
            return;
        }
        SecurityLog.CrossSiteRequestRefused(logger, context.Request.Method, context.Request.Path, context.User.Identity?.Name ?? "?", reason);
        await Results.Problem(title: "Cross-site request refused", detail: reason, statusCode: StatusCodes.Status403Forbidden).ExecuteAsync(context);
    }

    private async ValueTask<string?> RefusalAsync(HttpContext context)
    {
        // Anonymous endpoints do not act on the user's identity: the login form has its own antiforgery token, and
        // the STOMP WebSocket takes its credentials from CONNECT (a browser app of another origin may use it).
        if (context.User.Identity?.IsAuthenticated != true
            || context.GetEndpoint()?.Metadata.GetMetadata<Microsoft.AspNetCore.Authorization.IAllowAnonymous>() is not null)
        {
            return null;
        }
        var request = context.Request;
        var change = HttpMethods.IsPost(request.Method) || HttpMethods.IsPut(request.Method)
            || HttpMethods.IsDelete(request.Method) || HttpMethods.IsPatch(request.Method);
        // A link from a page of another port is a GET with a foreign Referer and must keep working; a foreign Origin
        // on a GET comes only from a script (fetch, WebSocket) of that page.
        var (header, claimed) = request.Headers.Origin is [{ } origin, ..] ? ("Origin", origin)
            : change && request.Headers.Referer is [{ } referer, ..] ? ("Referer", referer)
            : (null, null);
        if (claimed is not null)
        {
            return IsThisOrigin(claimed, request)
                ? null
                : $"{header} '{claimed}' is not this console's origin ({request.Scheme}://{request.Host}); a page of another origin may not use the console's credentials";
        }
        if (!change || !ByCookie(context))
        {
            return null;
        }
        return await HasValidTokenAsync(context)
            ? null
            : "a change made with the console's login cookie needs an Origin or Referer header of this console's origin, or an antiforgery token; scripts should send HTTP Basic credentials instead";
    }

    private async Task<bool> HasValidTokenAsync(HttpContext context)
    {
        try
        {
            return await antiforgery.IsRequestValidAsync(context);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or BadHttpRequestException)
        {
            return false; // a form body that cannot be read carries no token
        }
    }

    private static bool ByCookie(HttpContext context) =>
        context.User.Identities.Any(i => i.IsAuthenticated && i.AuthenticationType == SecurityExtensions.CookieScheme);

    private bool IsThisOrigin(string claimed, HttpRequest request)
    {
        if (!Uri.TryCreate(claimed, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            return false; // "null" (a sandboxed frame, a redirect across origins) or garbage: nobody we know.
        }
        return (Uri.TryCreate($"{request.Scheme}://{request.Host.Value}", UriKind.Absolute, out var own) && SameOrigin(uri, own))
            || _allowed.Any(allowed => SameOrigin(uri, allowed));
    }

    /// <summary>Scheme, host and port alike (<see cref="Uri"/> fills in a default port).</summary>
    private static bool SameOrigin(Uri a, Uri b) =>
        string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(a.IdnHost, b.IdnHost, StringComparison.OrdinalIgnoreCase)
        && a.Port == b.Port;
}
