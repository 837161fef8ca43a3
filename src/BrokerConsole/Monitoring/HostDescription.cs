using BrokerConsole.Hosting;

namespace BrokerConsole.Monitoring;

/// <summary>
/// What a watching console asks a host once per connection (<see cref="MonitorHub.Describe"/>, <c>GET /api/version</c>):
/// which version of the monitor contract it speaks, and what the broker rows do not say about how its brokers pair up.
/// </summary>
/// <param name="ProtocolVersion">
/// <see cref="MonitorProtocol.Version"/>: raised when the hub's streams or the API's shapes change in a way an older
/// console would misread. A console shows a host with another version as such.
/// </param>
/// <param name="Version">The host's build (informational version), for the operator.</param>
/// <param name="Brokers">Each broker's configured replication link.</param>
public sealed record HostDescription(int ProtocolVersion, string Version, IReadOnlyList<BrokerLink> Brokers)
{
    public static HostDescription Of(BrokerRegistry registry) => new(
        MonitorProtocol.Version,
        MonitorProtocol.BuildVersion,
        [.. registry.All.Select(b => new BrokerLink(b.Name, b.Definition.Replication.MasterUri))]);
}

/// <summary>A broker's configured link: the master URI a slave follows (null for a configured master), what pairs are matched by.</summary>
public sealed record BrokerLink(string Name, string? MasterUri);

public static class MonitorProtocol
{
    /// <summary>The version of the monitor contract (hub streams, <c>/api</c> shapes) this build speaks.</summary>
    public const int Version = 1;

    public static string BuildVersion { get; } =
        typeof(MonitorProtocol).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion ?? "?";
}
