using System.Security.Claims;
using BrokerConsole.Hosting;

namespace BrokerConsole.Api;

/// <summary>What an operator can do to a broker of this process.</summary>
public enum OperatorAction
{
    Promote,
    Switchover,
    Stop,
    Start,
}

/// <summary>The operator actions the HTTP API and the console's Brokers page share (admin only, audited).</summary>
public interface IOperatorActions
{
    /// <summary>Runs <paramref name="action"/> on <paramref name="broker"/>; the broker's state afterwards. Throws <see cref="OperationException"/> with the reason when it may not or cannot.</summary>
    Task<string> RunAsync(ClaimsPrincipal user, string broker, OperatorAction action);
}

internal sealed class OperatorActions(BrokerRegistry registry, Audit audit, RunningOperations running) : IOperatorActions
{
    public async Task<string> RunAsync(ClaimsPrincipal user, string broker, OperatorAction action)
    {
        Audit.RequireAdministrator(user);
        var hosted = registry.Find(broker) ?? throw OperationException.UnknownBroker(broker);
        // The lifecycle refuses a second action too; held here as well, so every page shows the one under way.
        using var operation = running.Start(RunningOperations.ActionKey(broker), $"a {action.ToString().ToLowerInvariant()} of {broker}", 0);
        try
        {
            await (action switch
            {
                OperatorAction.Promote => hosted.PromoteByOperatorAsync(),
                OperatorAction.Switchover => hosted.SwitchoverByOperatorAsync(),
                OperatorAction.Stop => hosted.StopByOperatorAsync(),
                OperatorAction.Start => hosted.StartByOperatorAsync(),
                _ => throw new ArgumentOutOfRangeException(nameof(action)),
            });
        }
        catch (InvalidOperationException e)
        {
            throw OperationException.Conflict(e.Message);
        }
        audit.Write(user, action.ToString().ToLowerInvariant(), broker, "");
        return BrokerView.StateOf(hosted);
    }
}
