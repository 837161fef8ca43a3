namespace Broker.Core.Security;

/// <summary>What a login attempt came to: the user, a wrong login, or a refusal after too many failures.</summary>
public readonly record struct LoginResult
{
    public static readonly LoginResult Failed = default;

    /// <summary>The user when the login was right; null otherwise.</summary>
    public BrokerUser? User { get; private init; }

    /// <summary>Set when the attempt was refused unchecked after too many failures: how long until it may be tried again.</summary>
    public TimeSpan? RetryAfter { get; private init; }

    /// <summary>What a refused client is told; the same words over STOMP, HTTP and the replication link.</summary>
    public string Refusal => RetryAfter is { } wait
        ? $"too many failed logins, retry later (in {Math.Max(1, (long)Math.Ceiling(wait.TotalSeconds))} s)"
        : "unknown user or wrong password";

    public static LoginResult Success(BrokerUser user) => new() { User = user };

    public static LoginResult TooManyFailures(TimeSpan retryAfter) => new() { RetryAfter = retryAfter };
}
