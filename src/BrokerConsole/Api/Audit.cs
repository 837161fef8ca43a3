using System.Security.Claims;
using BrokerConsole.Security;

namespace BrokerConsole.Api;

/// <summary>One audit line per change (user, action, target, detail), whether it came from the API or the console.</summary>
public sealed class Audit(ILoggerFactory loggers)
{
    private readonly ILogger _logger = loggers.CreateLogger("BrokerConsole.Audit");

    public void Write(ClaimsPrincipal user, string action, string target, string detail) =>
        Write(user.Identity?.Name ?? "?", action, target, detail);

    /// <summary>A line about a user who is not signed in (a login that failed too often, say).</summary>
    public void Write(string user, string action, string target, string detail) =>
        ApiLog.Audit(_logger, user, action, target, detail);

    /// <summary>
    /// Refuses a user who may not change anything. The API's routes check the policy too; this check is what
    /// guards the console's handlers, since hiding a button does not stop a crafted circuit message.
    /// </summary>
    public static void RequireAdministrator(ClaimsPrincipal user)
    {
        if (!SecurityExtensions.MayAdminister(user))
        {
            throw OperationException.Forbidden($"user '{user.Identity?.Name ?? "?"}' may not change anything (admin role needed)");
        }
    }
}
