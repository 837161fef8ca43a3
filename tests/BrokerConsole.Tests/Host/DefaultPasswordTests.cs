using BrokerConsole.Hosting;
using BrokerConsole.Tests.Infrastructure;

namespace BrokerConsole.Tests.Host;

public sealed class DefaultPasswordTests
{
    [Fact]
    public async Task DefaultPasswordOnAllInterfaces_Warns()
    {
        await using var host = await TestHost.StartAsync("--Brokers:b1:Connectors:0=tcp://0.0.0.0:0", "--Brokers:b1:DataDirectory={root}/b1");
        var log = await host.WaitForLogAsync("default password");
        Assert.Contains("default password", log);
    }

    [Fact]
    public async Task DefaultPasswordInContainerFacingTheNetwork_RefusesToStart()
    {
        var error = await Assert.ThrowsAsync<BrokerConfigurationException>(() => TestHost.StartAsync(
            "--Brokers:b1:Connectors:0=tcp://0.0.0.0:0", "--Brokers:b1:DataDirectory={root}/b1", "--DOTNET_RUNNING_IN_CONTAINER=true"));

        Assert.Contains("Security:Users:admin:Password", error.Message);
    }

    [Fact]
    public async Task DefaultPasswordOnLoopbackOnly_NoWarning()
    {
        await using var host = await TestHost.StartAsync();
        var log = host.ReadLog();
        Assert.DoesNotContain("default password", log);
    }
}
