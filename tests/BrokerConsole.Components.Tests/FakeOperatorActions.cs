using System.Security.Claims;
using BrokerConsole.Api;

namespace BrokerConsole.Components.Tests;

/// <summary>Records the actions run; <see cref="Refusal"/> makes every action fail with that reason.</summary>
internal sealed class FakeOperatorActions : IOperatorActions
{
    public List<(string User, string Broker, OperatorAction Action)> Runs { get; } = [];

    public string? Refusal { get; set; }

    public Task<string> RunAsync(ClaimsPrincipal user, string broker, OperatorAction action)
    {
        if (Refusal is not null)
        {
            throw OperationException.Conflict(Refusal);
        }
        Runs.Add((user.Identity?.Name ?? "?", broker, action));
        return Task.FromResult("master unprotected");
    }
}
