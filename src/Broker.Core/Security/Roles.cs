namespace Broker.Core.Security;

/// <summary>The built-in roles and their grants (API.md's table).</summary>
public static class Roles
{
    public const string Admin = "admin";
    public const string Producer = "producer";
    public const string Consumer = "consumer";
    public const string Viewer = "viewer";
    public const string Replication = "replication";

    public static IReadOnlySet<string> All { get; } = new HashSet<string> { Admin, Producer, Consumer, Viewer, Replication };

    public static IReadOnlyList<RoleGrant> DefaultGrants { get; } =
    [
        .. Enum.GetValues<Permission>().Select(p => new RoleGrant(Admin, p)),
        new(Producer, Permission.Connect),
        new(Producer, Permission.Send),
        new(Consumer, Permission.Connect),
        new(Consumer, Permission.Consume),
        new(Viewer, Permission.View),
        new(Replication, Permission.Replicate),
    ];
}
