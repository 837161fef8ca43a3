using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text;
using BrokerConsole.Api;

namespace BrokerConsole.Remote;

/// <summary>
/// What a watched host answered to a forwarded request: its status code, content type and body, passed back as they are,
/// and the headers that say how to treat the body (<see cref="RemoteActions.PassedHeaders"/>).
/// </summary>
public sealed record ForwardedAnswer(int Status, string? ContentType, byte[] Body, IReadOnlyList<KeyValuePair<string, string>> Headers)
{
    public ForwardedAnswer(int status, string? contentType, byte[] body)
        : this(status, contentType, body, [])
    {
    }
}

/// <summary>
/// Operator actions (and any other request of <c>/api/brokers/{b}/...</c>) on a broker of a watched host: sent to that
/// host's HTTP API with the login configured for it.
/// The local user must be allowed to change things here (admin), and the remote host checks its own roles for
/// the configured user; its answer, refusal included, is passed back unchanged. An unreachable host is a 502.
/// </summary>
public interface IRemoteActions
{
    /// <summary><paramref name="action"/> on <paramref name="broker"/> of <paramref name="host"/>. Throws <see cref="OperationException"/> (403, 404 unknown host, 502 unreachable).</summary>
    Task<ForwardedAnswer> RunAsync(ClaimsPrincipal user, string host, string broker, OperatorAction action, CancellationToken cancellationToken = default);

    /// <summary>
    /// Any request of this API (<paramref name="pathAndQuery"/> such as <c>/api/brokers/b1/queues/q/messages</c>) sent to
    /// <paramref name="host"/>; anything but GET and HEAD needs the admin role here and is audited.
    /// </summary>
    Task<ForwardedAnswer> ForwardAsync(ClaimsPrincipal user, string host, HttpMethod method, string pathAndQuery, byte[]? body, string? contentType,
        CancellationToken cancellationToken = default);
}

internal sealed class RemoteActions : IRemoteActions, IDisposable
{
    /// <summary>The remote headers passed back with the body: how to treat it (a download stays an attachment, never sniffed into a page), when to retry.</summary>
    public static readonly string[] PassedHeaders = ["Content-Disposition", "X-Content-Type-Options", "Retry-After"];

    private readonly Dictionary<string, (HttpClient Client, RemoteHostOptions Options)> _hosts;
    private readonly Audit _audit;
    private readonly ILogger _logger;

    public RemoteActions(ConsoleOptions options, Audit audit, ILoggerFactory loggers)
    {
        _audit = audit;
        _logger = loggers.CreateLogger("BrokerConsole.Remote.Actions");
        _hosts = options.Hosts.ToDictionary(h => h.Key, h =>
        {
            var handler = new SocketsHttpHandler { ConnectTimeout = options.ConnectTimeout };
            var client = new HttpClient(handler) { BaseAddress = new Uri(h.Value.Url!), Timeout = options.ForwardTimeout };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(Encoding.UTF8.GetBytes($"{h.Value.UserName}:{h.Value.Password}")));
            return (client, h.Value);
        });
    }

    public Task<ForwardedAnswer> RunAsync(ClaimsPrincipal user, string host, string broker, OperatorAction action, CancellationToken cancellationToken = default) =>
        ForwardAsync(user, host, HttpMethod.Post, $"/api/brokers/{Uri.EscapeDataString(broker)}/{action.ToString().ToLowerInvariant()}", null, null, cancellationToken);

    public async Task<ForwardedAnswer> ForwardAsync(ClaimsPrincipal user, string host, HttpMethod method, string pathAndQuery, byte[]? body, string? contentType,
        CancellationToken cancellationToken = default)
    {
        var change = method != HttpMethod.Get && method != HttpMethod.Head;
        if (change)
        {
            Audit.RequireAdministrator(user);
        }
        if (!_hosts.TryGetValue(host, out var remote))
        {
            throw OperationException.NotFound($"no host named '{host}' in Console:Hosts");
        }
        using var request = new HttpRequestMessage(method, pathAndQuery);
        if (body is { Length: > 0 })
        {
            request.Content = new ByteArrayContent(body);
            if (contentType is not null && MediaTypeHeaderValue.TryParse(contentType, out var type))
            {
                request.Content.Headers.ContentType = type;
            }
        }
        try
        {
            using var response = await remote.Client.SendAsync(request, cancellationToken);
            if (response.StatusCode == System.Net.HttpStatusCode.Unauthorized)
            {
                // Not the caller's credentials that failed but ours for that host: a 401 here would read as the former.
                throw new OperationException(StatusCodes.Status502BadGateway,
                    $"host '{host}' ({remote.Options.Url}) refuses the login configured in Console:Hosts:{host} (401)");
            }
            var headers = PassedHeaders
                .SelectMany(name => response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)
                    ? values.Select(v => KeyValuePair.Create(name, v)) : [])
                .ToList();
            var answer = new ForwardedAnswer((int)response.StatusCode, response.Content.Headers.ContentType?.ToString(),
                await response.Content.ReadAsByteArrayAsync(cancellationToken), headers);
            if (change)
            {
                _audit.Write(user, method.Method, $"{host}{pathAndQuery}", $"forwarded to {remote.Options.Url} as {remote.Options.UserName}: {answer.Status}");
            }
            return answer;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            var reason = e is TaskCanceledException ? $"no answer within {remote.Client.Timeout.TotalSeconds:0.#} s" : e.Message;
            RemoteLog.ForwardFailed(_logger, method.Method, pathAndQuery, host, reason);
            throw new OperationException(StatusCodes.Status502BadGateway, $"host '{host}' ({remote.Options.Url}) is unreachable: {reason}");
        }
    }

    public void Dispose()
    {
        foreach (var (client, _) in _hosts.Values)
        {
            client.Dispose();
        }
    }
}
