namespace Broker.Core.Security;

/// <summary>An authenticated user and what their roles grant.</summary>
public sealed class BrokerUser(string name, IReadOnlySet<string> roles, IReadOnlyList<RoleGrant> grants)
{
    public string Name { get; } = name;

    public IReadOnlySet<string> Roles { get; } = roles;

    /// <summary>Whether the user may do <paramref name="permission"/>, on <paramref name="destination"/> where one applies.</summary>
    public bool Can(Permission permission, string? destination = null) =>
        grants.Any(g => g.Permission == permission && Roles.Contains(g.Role) && g.Covers(destination));
}

/// <summary>Checks credentials; the host implements it over its configured users.</summary>
public interface IBrokerAuthenticator
{
    /// <returns>The user, or null when the login is unknown or the password wrong.</returns>
    BrokerUser? Authenticate(string? login, string? password);
}
