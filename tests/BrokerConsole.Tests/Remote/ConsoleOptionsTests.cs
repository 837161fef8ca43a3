using BrokerConsole.Hosting;
using BrokerConsole.Remote;
using Microsoft.Extensions.Configuration;

namespace BrokerConsole.Tests.Remote;

public sealed class ConsoleOptionsTests
{
    private static (ConsoleOptions Options, List<string> Errors) Load(params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build();
        var errors = new List<string>();
        return (ConsoleOptions.Load(configuration, errors), errors);
    }

    [Fact]
    public void GoodHost_IsBound()
    {
        var (options, errors) = Load(("Console:Hosts:a:Url", "http://host-a:8161"), ("Console:Hosts:a:UserName", "watcher"), ("Console:Hosts:a:Password", "secret"));

        Assert.Empty(errors);
        var a = Assert.Single(options.Hosts);
        Assert.Equal("a", a.Key);
        Assert.Equal("http://host-a:8161", a.Value.Url);
    }

    [Fact]
    public void Local_IsReserved()
    {
        var (_, errors) = Load(("Console:Hosts:local:Url", "http://h:1"), ("Console:Hosts:local:UserName", "u"), ("Console:Hosts:local:Password", "p"));

        Assert.Contains(errors, e => e.StartsWith("Console:Hosts:local:", StringComparison.Ordinal) && e.Contains("reserved", StringComparison.Ordinal));
    }

    [Fact]
    public void MissingAndBadValues_EachNamesItsKey()
    {
        var (_, errors) = Load(
            ("Console:Hosts:a:Url", "tcp://host-a:61613"), ("Console:Hosts:a:UserName", "u"),
            ("Console:Hosts:b:Password", "p"),
            ("Console:Hosts:c:Url", "http://c:1"), ("Console:Hosts:c:UserName", "u"), ("Console:Hosts:c:Pasword", "p"));

        Assert.Contains(errors, e => e.StartsWith("Console:Hosts:a:Url: 'tcp://host-a:61613'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Console:Hosts:a:Password: is required", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Console:Hosts:b:Url: is required", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Console:Hosts:b:UserName: is required", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Console:Hosts:c:Pasword: unknown setting", StringComparison.Ordinal));
    }

    [Fact]
    public void BareNumberTimeout_IsNamed()
    {
        var (_, errors) = Load(("Console:ConnectTimeout", "5"));

        Assert.StartsWith("Console:ConnectTimeout: '5' is not a duration", Assert.Single(errors), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadHost_StopsStartupNamingTheKey()
    {
        var error = await Assert.ThrowsAsync<BrokerConfigurationException>(() => TestHost.StartAsync(
            "--Console:Hosts:a:Url=http://host-a:8161/console", "--Console:Hosts:a:UserName=u"));

        Assert.Contains("Console:Hosts:a:Url: 'http://host-a:8161/console'", error.Message);
        Assert.Contains("Console:Hosts:a:Password: is required", error.Message);
    }
}
