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
    public async Task UnknownRole_NamesTheUser()
    {
        var error = await StartFails("--Security:Users:eve:Password=x", "--Security:Users:eve:Roles:0=root");

        Assert.Contains("Security:Users:eve:Roles:0", error.Message);
    }

    [Fact]
    public async Task BadLoginFailureLimitsAndOrigin_NameTheirKeys()
    {
        var error = await StartFails(
            "--Security:LoginFailures:PerAddress=-1", "--Security:LoginFailures:Lockout=00:00:00",
            "--Security:LoginFailures:MaxLockout=00:00:01", "--Security:AllowedOrigins:0=https://proxy.example/console");

        Assert.Contains("Security:LoginFailures:PerAddress: '-1'", error.Message);
        Assert.Contains("Security:LoginFailures:Lockout: '00:00:00'", error.Message);
        Assert.Contains("Security:AllowedOrigins:0: 'https://proxy.example/console'", error.Message);
    }

    [Fact]
    public async Task UnknownLoginFailuresKey_Named()
    {
        var error = await StartFails("--Security:LoginFailures:PerUser=3");

        Assert.Contains("PerUser", error.Message);
    }

    [Fact]
    public async Task BadMetricsValues_NameTheirKeys()
    {
        var error = await StartFails("--Metrics:DestinationSeries=5000", "--Metrics:CacheFor=00:05:00");

        Assert.Contains("Metrics:DestinationSeries: '5000'", error.Message);
        Assert.Contains("Metrics:CacheFor: '00:05:00'", error.Message);
        Assert.Contains("DestinationsSeries", (await StartFails("--Metrics:DestinationsSeries=3")).Message);
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
