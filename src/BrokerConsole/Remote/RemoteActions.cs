using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text;
using BrokerConsole.Api;

namespace BrokerConsole.Remote;

/// <summary>What a watched host answered to a forwarded request: its status code, content type and body, passed back as they are.</summary>
public sealed record ForwardedAnswer(int Status, string? ContentType, byte[] Body);

/// <summary>
/// Operator actions on a broker of a watched host: sent to that host's HTTP API with the login configured for it.
/// The local user must be allowed to change things here (admin), and the remote host checks its own roles for
/// the configured user; its answer, refusal included, is passed back unchanged. An unreachable host is a 502.
/// </summary>
public interface IRemoteActions
{
    /// <summary><paramref name="action"/> on <paramref name="broker"/> of <paramref name="host"/>. Throws <see cref="OperationException"/> (403, 404 unknown host, 502 unreachable).</summary>
    Task<ForwardedAnswer> RunAsync(ClaimsPrincipal user, string host, string broker, OperatorAction action, CancellationToken cancellationToken = default);
}

internal sealed class RemoteActions : IRemoteActions, IDisposable
{
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

    public async Task<ForwardedAnswer> RunAsync(ClaimsPrincipal user, string host, string broker, OperatorAction action, CancellationToken cancellationToken = default)
    {
        Audit.RequireAdministrator(user);
        if (!_hosts.TryGetValue(host, out var remote))
        {
            throw OperationException.NotFound($"no host named '{host}' in Console:Hosts");
        }
        var verb = action.ToString().ToLowerInvariant();
        var path = $"/api/brokers/{Uri.EscapeDataString(broker)}/{verb}";
        try
        {
            using var response = await remote.Client.PostAsync(path, null, cancellationToken);
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            var answer = new ForwardedAnswer((int)response.StatusCode, response.Content.Headers.ContentType?.ToString(), body);
            _audit.Write(user, verb, $"{host}/{broker}", $"forwarded to {remote.Options.Url} as {remote.Options.UserName}: {answer.Status}");
            return answer;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            var reason = e is TaskCanceledException ? $"no answer within {remote.Client.Timeout.TotalSeconds:0.#} s" : e.Message;
            RemoteLog.ForwardFailed(_logger, "POST", path, host, reason);
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
