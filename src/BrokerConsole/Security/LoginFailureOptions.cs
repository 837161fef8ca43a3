namespace BrokerConsole.Security;

/// <summary>
/// <c>Security:LoginFailures</c>: how repeated wrong passwords are braked, for HTTP Basic, the console's login form,
/// STOMP CONNECT and the replication login alike. A budget that runs out locks that key out (every attempt refused
/// unchecked) for <see cref="Lockout"/>, doubled with each further failure up to <see cref="MaxLockout"/>.
/// There is deliberately no budget per user name alone: an attacker could then lock the admin out from everywhere.
/// </summary>
public sealed class LoginFailureOptions
{
    /// <summary>Failures of one user name from one address before that pair is locked out; 0 turns this budget off.</summary>
    public int PerUserAndAddress { get; set; } = 5;

    /// <summary>Failures from one address, whatever the user names, before the address is locked out; 0 turns this budget off.</summary>
    public int PerAddress { get; set; } = 20;

    public TimeSpan Lockout { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan MaxLockout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>A key with no failure for this long starts over with its whole budget.</summary>
    public TimeSpan ForgetAfter { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Keys remembered at most; past it the oldest are forgotten first, so a flood of addresses cannot exhaust memory.</summary>
    public int MaxTracked { get; set; } = 100_000;
}
