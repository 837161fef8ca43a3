using System.Security.Cryptography;
using System.Text;
using Broker.Core.Security;
using BrokerConsole.Hosting;

namespace BrokerConsole.Security;

/// <summary>
/// The users of <c>Security:Users</c>, checked with a constant-time password comparison, every attempt through the
/// <see cref="LoginThrottle"/> (HTTP Basic, the console's form, STOMP CONNECT and the replication login alike).
/// </summary>
public sealed class ConfiguredUsers : IBrokerAuthenticator
{
    /// <summary>Passwords shipped in the default configuration; they must not face a network.</summary>
    public static readonly IReadOnlySet<string> DefaultPasswords = new HashSet<string> { "admin", "replicator", "password" };

    private readonly Dictionary<string, (byte[] Password, BrokerUser User)> _users;

    private readonly LoginThrottle _throttle;

    public ConfiguredUsers(SecurityOptions options, LoginThrottle throttle)
    {
        _throttle = throttle;
        _users = options.Users.ToDictionary(
            u => u.Key,
            u => (Encoding.UTF8.GetBytes(u.Value.Password), new BrokerUser(u.Key, u.Value.Roles.ToHashSet(), Roles.DefaultGrants)),
            StringComparer.Ordinal);
    }

    public IEnumerable<string> UsersWithDefaultPasswords(SecurityOptions options) =>
        options.Users.Where(u => DefaultPasswords.Contains(u.Value.Password)).Select(u => u.Key);

    public LoginResult Authenticate(string? login, string? password, string remoteAddress) =>
        _throttle.Attempt(login ?? "", remoteAddress, () => Check(login, password));

    private BrokerUser? Check(string? login, string? password)
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
        for (var i = 0; i < options.AllowedOrigins.Count; i++)
        {
            if (!Uri.TryCreate(options.AllowedOrigins[i], UriKind.Absolute, out var origin) || origin.Scheme is not ("http" or "https")
                || origin.PathAndQuery != "/" || origin.UserInfo != "")
            {
                errors.Add($"Security:AllowedOrigins:{i}: '{options.AllowedOrigins[i]}' must be an origin such as https://console.example:8443 (scheme, host, port; no path)");
            }
        }
        CheckLoginFailures(options.LoginFailures, errors);
        return options;
    }

    private static void CheckLoginFailures(LoginFailureOptions o, List<string> errors)
    {
        const string key = "Security:LoginFailures";
        if (o.PerUserAndAddress < 0)
        {
            errors.Add($"{key}:PerUserAndAddress: '{o.PerUserAndAddress}' must be 0 (off) or more");
        }
        if (o.PerAddress < 0)
        {
            errors.Add($"{key}:PerAddress: '{o.PerAddress}' must be 0 (off) or more");
        }
        if (o.Lockout <= TimeSpan.Zero)
        {
            errors.Add($"{key}:Lockout: '{o.Lockout}' must be above zero");
        }
        if (o.MaxLockout < o.Lockout)
        {
            errors.Add($"{key}:MaxLockout: '{o.MaxLockout}' must be at least Lockout ({o.Lockout})");
        }
        if (o.ForgetAfter <= TimeSpan.Zero)
        {
            errors.Add($"{key}:ForgetAfter: '{o.ForgetAfter}' must be above zero");
        }
        if (o.MaxTracked < 1)
        {
            errors.Add($"{key}:MaxTracked: '{o.MaxTracked}' must be 1 or more");
        }
    }
}
