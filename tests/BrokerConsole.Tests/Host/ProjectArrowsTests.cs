using System.Reflection;
using Broker.Server;

namespace BrokerConsole.Tests.Host;

/// <summary>
/// The arrows between projects, read from the compiled assemblies (the compiler records only what a project uses):
/// the host composes and shows, it never touches the store; the lifecycle and replication never reach the protocol.
/// </summary>
public sealed class ProjectArrowsTests
{
    [Fact]
    public void TheHostUsesNoStorageType() =>
        Assert.DoesNotContain("Broker.Storage", References(typeof(BrokerConsole.Hosting.HostedBroker).Assembly));

    [Fact]
    public void TheLifecycleAndReplicationUseNoStompType()
    {
        Assert.DoesNotContain("Broker.Stomp", References(typeof(BrokerLifecycle).Assembly));
        Assert.DoesNotContain("Broker.Stomp", References(typeof(Broker.Replication.ReplicationMaster).Assembly));
    }

    [Fact]
    public void TheCheckSeesARealArrow() =>
        Assert.Contains("Broker.Stomp", References(typeof(BrokerConsole.Hosting.HostedBroker).Assembly));

    private static string[] References(Assembly assembly) => [.. assembly.GetReferencedAssemblies().Select(a => a.Name!)];
}
