using System.Collections.Concurrent;
using System.Security.Claims;
using System.Text;
using BrokerConsole.Api;
using BrokerConsole.Remote;

namespace BrokerConsole.Components.Tests;

/// <summary>
/// Records the remote actions run and answers <see cref="Answer"/>; <see cref="Failure"/> makes them throw (as an
/// unreachable host does); while <see cref="Gate"/> is set, an action waits for it (so a test sees it running).
/// </summary>
internal sealed class FakeRemoteActions : IRemoteActions
{
    public ConcurrentQueue<(string User, string Host, string Broker, OperatorAction Action)> Runs { get; } = new();

    public ForwardedAnswer Answer { get; set; } = Json(200, """{"state":"master unprotected"}""");

    public OperationException? Failure { get; set; }

    public TaskCompletionSource? Gate { get; set; }

    public async Task<ForwardedAnswer> RunAsync(ClaimsPrincipal user, string host, string broker, OperatorAction action, CancellationToken cancellationToken = default)
    {
        Runs.Enqueue((user.Identity?.Name ?? "?", host, broker, action));
        if (Gate is { } gate)
        {
            await gate.Task;
        }
        return Failure is { } failure ? throw failure : Answer;
    }

    public Task<ForwardedAnswer> ForwardAsync(ClaimsPrincipal user, string host, HttpMethod method, string pathAndQuery, byte[]? body, string? contentType,
        CancellationToken cancellationToken = default) => throw new NotSupportedException("the console's pages forward operator actions only");

    public static ForwardedAnswer Json(int status, string body) =>
        new(status, status < 300 ? "application/json" : "application/problem+json", Encoding.UTF8.GetBytes(body));
}
