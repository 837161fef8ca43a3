using System.Security.Cryptography;
using System.Text;
using Broker.Core.Security;
using BrokerConsole.Hosting;

namespace BrokerConsole.Security;

/// <summary>The users of <c>Security:Users</c>, checked with a constant-time password comparison.</summary>
public sealed class ConfiguredUsers : IBrokerAuthenticator
{
    /// <summary>Passwords shipped in the default configuration; they must not face a network.</summary>
    public static readonly IReadOnlySet<string> DefaultPasswords = new HashSet<string> { "admin", "replicator", "password" };

    private readonly Dictionary<string, (byte[] Password, BrokerUser User)> _users;

    public ConfiguredUsers(SecurityOptions options)
    {
        _users = options.Users.ToDictionary(
            u => u.Key,
            u => (Encoding.UTF8.GetBytes(u.Value.Password), new BrokerUser(u.Key, u.Value.Roles.ToHashSet(), Roles.DefaultGrants)),
            StringComparer.Ordinal);
    }

    public IEnumerable<string> UsersWithDefaultPasswords(SecurityOptions options) =>
        options.Users.Where(u => DefaultPasswords.Contains(u.Value.Password)).Select(u => u.Key);

    public BrokerUser? Authenticate(string? login, string? password)
    {
        if (login is null || password is null || !_users.TryGetValue(login, out var entry))
        {
            return null;
        }
        return CryptographicOperations.FixedTimeEquals(entry.Password, Encoding.UTF8.GetBytes(password)) ? entry.User : null;
    }

    /// <summary><c>Security:*</c>, checked key by key (a misspelt user setting is named), bound, then validated.</summary>
    public static SecurityOptions Load(IConfiguration configuration, List<string> errors)
    {
        var section = configuration.GetSection("Security");
        var options = new SecurityOptions();
        if (!SettingsCheck.Section(section, [typeof(SecurityOptions)], errors))
        {
            return options;
        }
        section.Bind(options);
        foreach (var (name, user) in options.Users)
        {
            if (string.IsNullOrEmpty(user.Password))
            {
                errors.Add($"Security:Users:{name}:Password: is required");
            }
            for (var i = 0; i < user.Roles.Count; i++)
            {
                if (!Roles.All.Contains(user.Roles[i]))
                {
                    errors.Add($"Security:Users:{name}:Roles:{i}: '{user.Roles[i]}' is not one of {string.Join(", ", Roles.All)}");
                }
            }
        }
        return options;
    }
}
