namespace BrokerConsole.Security;

/// <summary><c>Security:Users:&lt;name&gt;</c>: who may log in, with which password and roles.</summary>
public sealed class SecurityOptions
{
    public Dictionary<string, UserOptions> Users { get; set; } = [];
}

public sealed class UserOptions
{
    public string Password { get; set; } = "";

    public List<string> Roles { get; set; } = [];
}
