namespace BrokerConsole.Security;

/// <summary><c>Security</c>: who may log in, how failed logins are slowed down, and which other origins may use the console's credentials.</summary>
public sealed class SecurityOptions
{
    /// <summary><c>Security:Users:&lt;name&gt;</c>: who may log in, with which password and roles.</summary>
    public Dictionary<string, UserOptions> Users { get; set; } = [];

    /// <summary>
    /// Origins (<c>scheme://host:port</c>) besides the console's own whose pages may make changes with the login cookie,
    /// for a console reached under another name than its Host header says (a reverse proxy that rewrites Host). Empty by default.
    /// </summary>
    public List<string> AllowedOrigins { get; set; } = [];

    public LoginFailureOptions LoginFailures { get; set; } = new();
}

public sealed class UserOptions
{
    public string Password { get; set; } = "";

    public List<string> Roles { get; set; } = [];
}
