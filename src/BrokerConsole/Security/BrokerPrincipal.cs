using System.Security.Claims;
using Broker.Core.Security;

namespace BrokerConsole.Security;

/// <summary>A configured user as ASP.NET Core sees them, the same for Basic and for the console's cookie.</summary>
public static class BrokerPrincipal
{
    public static ClaimsPrincipal Create(BrokerUser user, string scheme) => new(new ClaimsIdentity(
        [new Claim(ClaimTypes.Name, user.Name), .. user.Roles.Select(r => new Claim(ClaimTypes.Role, r))], scheme));

    /// <summary>Whether the user may look at the console (a role granted <see cref="Permission.View"/>).</summary>
    public static bool MayView(BrokerUser user) =>
        Roles.DefaultGrants.Any(g => g.Permission == Permission.View && user.Roles.Contains(g.Role));
}
