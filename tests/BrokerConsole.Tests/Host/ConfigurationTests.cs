using BrokerConsole.Hosting;
using BrokerConsole.Tests.Infrastructure;

namespace BrokerConsole.Tests.Host;

public sealed class ConfigurationTests
{
    private static async Task<BrokerConfigurationException> StartFails(params string[] settings) =>
        await Assert.ThrowsAsync<BrokerConfigurationException>(() => TestHost.StartAsync(settings));

    [Fact]
    public async Task BadNumber_StopsStartupNamingKeyAndValue()
    {
        var error = await StartFails("--Brokers:b1:Connectors:0=tcp://127.0.0.1:0", "--Brokers:b1:DataDirectory={root}/b1", "--Brokers:b1:MaxRedeliveries=lots");

        Assert.Contains("Brokers:b1:MaxRedeliveries", error.Message);
        Assert.Contains("lots", error.Message);
    }

    [Fact]
    public async Task BadConnectorUri_NamesKeyAndValue()
    {
        var error = await StartFails("--Brokers:b1:Connectors:0=http://127.0.0.1:1", "--Brokers:b1:DataDirectory={root}/b1");

        Assert.Contains("Brokers:b1:Connectors:0", error.Message);
        Assert.Contains("http://127.0.0.1:1", error.Message);
    }

    [Fact]
    public async Task UnknownSetting_IsAnErrorNotIgnored()
    {
        var error = await StartFails("--Brokers:b1:Connectors:0=tcp://127.0.0.1:0", "--Brokers:b1:DataDirectory={root}/b1", "--Brokers:b1:MaxRedelivery=3");

        Assert.Contains("Brokers:b1:MaxRedelivery", error.Message);
    }

    [Fact]
    public async Task MissingDataDirectoryAndNegativeLimit_BothReported()
    {
        var error = await StartFails("--Brokers:b1:Connectors:0=tcp://127.0.0.1:0", "--Brokers:b1:MaxConnections=-1");

        Assert.Contains("Brokers:b1:DataDirectory", error.Message);
        Assert.Contains("Brokers:b1:MaxConnections", error.Message);
    }

    [Fact]
    public async Task MasterCertificateSettings_NotAThumbprint_MissingCaFile_NameTheirKeys()
    {
        var error = await StartFails(
            "--Brokers:b1:Connectors:0=tcp://127.0.0.1:0", "--Brokers:b1:DataDirectory={root}/b1", "--Brokers:b1:MasterCertificateThumbprint=not-a-thumbprint",
            "--Brokers:b2:Connectors:0=tcp://127.0.0.1:0", "--Brokers:b2:DataDirectory={root}/b2", "--Brokers:b2:MasterCaFile={root}/missing-ca.pem");

        Assert.Contains("Brokers:b1:MasterCertificateThumbprint: 'not-a-thumbprint'", error.Message);
        Assert.Contains("Brokers:b2:MasterCaFile", error.Message);
        Assert.Contains("missing-ca.pem", error.Message);
    }

    [Fact]
    public async Task UnknownRole_NamesTheUser()
    {
        var error = await StartFails("--Security:Users:eve:Password=x", "--Security:Users:eve:Roles:0=root");

        Assert.Contains("Security:Users:eve:Roles:0", error.Message);
    }

    [Fact]
    public async Task DisabledBroker_SkippedBeforeValidation()
    {
        await using var host = await TestHost.StartAsync(
            "--Brokers:b1:Connectors:0=tcp://127.0.0.1:0", "--Brokers:b1:DataDirectory={root}/b1",
            "--Brokers:off:Enabled=false", "--Brokers:off:Connectors:0=nonsense", "--Brokers:off:MaxRedeliveries=lots");

        Assert.Equal(["b1"], host.Registry.All.Select(b => b.Name));
    }

    [Fact]
    public async Task PortZero_BoundPortReported()
    {
        await using var host = await TestHost.StartAsync();

        Assert.NotEqual(0, host.StompPort());
    }
}
