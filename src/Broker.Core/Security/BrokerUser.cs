using Broker.Core.Messages;

namespace Broker.Core.Security;

/// <summary>An authenticated user and what their roles grant.</summary>
public sealed class BrokerUser(string name, IReadOnlySet<string> roles, IReadOnlyList<RoleGrant> grants)
{
    public string Name { get; } = name;

    public IReadOnlySet<string> Roles { get; } = roles;

    /// <summary>Whether the user may do <paramref name="permission"/>, on <paramref name="destination"/> where one applies.</summary>
    public bool Can(Permission permission, string? destination = null) =>
        grants.Any(g => g.Permission == permission && Roles.Contains(g.Role) && g.Covers(destination));

    /// <summary>
    /// Whether one grant lets the user do <paramref name="permission"/> on every destination the wildcard
    /// <paramref name="pattern"/> can match, existing or not (a grant of everything, or of a prefix that every match
    /// starts with). Checked once, at SUBSCRIBE: a match is then never checked again, and never needs to be.
    /// </summary>
    public bool CanAll(Permission permission, DestinationName pattern) =>
        grants.Any(g => g.Permission == permission && Roles.Contains(g.Role) && g.CoversAll(pattern));
}

/// <summary>Checks credentials; the host implements it over its configured users and brakes repeated failures.</summary>
public interface IBrokerAuthenticator
{
    /// <summary>
    /// Checks a login presented from <paramref name="remoteAddress"/> (an IP address, with or without a port). An
    /// address that failed too often is refused for a while without its password being looked at.
    /// </summary>
    LoginResult Authenticate(string? login, string? password, string remoteAddress);
}
