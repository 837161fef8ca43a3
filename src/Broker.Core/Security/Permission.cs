namespace Broker.Core.Security;

/// <summary>What a user may do; granted to roles per destination pattern.</summary>
public enum Permission
{
    /// <summary>Open a STOMP connection.</summary>
    Connect,
    Send,
    /// <summary>Subscribe and acknowledge.</summary>
    Consume,
    /// <summary>Read-only HTTP API, hub and console.</summary>
    View,
    /// <summary>Change things over the HTTP API and console: send, purge, move, delete, promote, stop.</summary>
    Administer,
    /// <summary>Attach as a slave over the replication handshake.</summary>
    Replicate,
}

/// <summary>One grant: holders of <paramref name="Role"/> have <paramref name="Permission"/> on destinations
/// matching <paramref name="DestinationPattern"/> (<c>*</c> = all; a trailing <c>*</c> = prefix).</summary>
public sealed record RoleGrant(string Role, Permission Permission, string DestinationPattern = "*")
{
    public bool Covers(string? destination) =>
        DestinationPattern == "*"
        || destination is null
        || (DestinationPattern.EndsWith('*')
            ? destination.StartsWith(DestinationPattern[..^1], StringComparison.Ordinal)
            : destination == DestinationPattern);

    /// <summary>
    /// Whether the grant covers every destination a wildcard can match: it grants all, or its prefix is a prefix of
    /// what every match starts with (<c>/queue/orders.*</c> is covered by <c>/queue/orders.*</c> and <c>/queue/ord*</c>,
    /// not by <c>/queue/orders.eu</c>), or it names the wildcard itself. Conservative: a grant of every match one by
    /// one does not cover the wildcard.
    /// </summary>
    public bool CoversAll(Messages.DestinationName pattern)
    {
        if (DestinationPattern == "*" || DestinationPattern == pattern.ToString())
        {
            return true;
        }
        if (!DestinationPattern.EndsWith('*') || Messages.DestinationPattern.Of(pattern) is not { } parsed)
        {
            return false;
        }
        var everyMatchStartsWith = (pattern.IsQueue ? "/queue/" : "/topic/") + parsed.LiteralPrefix;
        return everyMatchStartsWith.StartsWith(DestinationPattern[..^1], StringComparison.Ordinal);
    }
}
