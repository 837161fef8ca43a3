using BrokerCtl;
using Broker.Client.Tests.Infrastructure;

namespace Broker.Client.Tests;

[Collection("Brokers")]
public sealed class BrokerCtlTests
{
    private static async Task<(int Exit, string Output, string Error)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await BrokerCtlApp.RunAsync(args, output, error);
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task UriCheck_ValidUri_ExitsZeroWithScheduleAndWarnings()
    {
        var (exit, output, _) = await RunAsync("uri", "check", "failover:(tcp://m:61613,tcp://s:61613)?maxReconnectAttempts=3");

        Assert.Equal(0, exit);
        Assert.Contains("pass 2: after 10 ms", output);
        Assert.Contains("warning: timeout=-1", output);
        Assert.Contains("warning: randomize=true with two brokers", output);
        Assert.DoesNotContain("startupMaxReconnectAttempts=-1: retries forever", output);
    }

    [Fact]
    public async Task UriCheck_ForeverAtStartup_Warns()
    {
        var (exit, output, _) = await RunAsync("uri", "check", "failover:(tcp://m:1,tcp://s:2)?randomize=false&timeout=5000");
        Assert.Equal(0, exit);
        Assert.Contains("maxReconnectAttempts=-1 with startupMaxReconnectAttempts=-1", output);
        Assert.DoesNotContain("timeout=-1", output);
        Assert.DoesNotContain("randomize=true", output);
    }

    [Theory]
    [InlineData("failover:(tcp://m:61613)?reconnectDelay=5", "reconnectDelay")]
    [InlineData("failover:(tcp://m:61613?bogus=1)", "bogus")]
    [InlineData("failover:(tcp://m:61613", "')'")]
    [InlineData("failover:(tcp://m:61613)?maxReconnectAttempts=x", "maxReconnectAttempts")]
    public async Task UriCheck_InvalidUri_ExitsTwoNamingTheProblem(string uri, string named)
    {
        var (exit, _, error) = await RunAsync("uri", "check", uri);
        Assert.Equal(2, exit);
        Assert.Contains(named, error);
    }

    [Fact]
    public async Task UriCheck_Json_IsMachineReadable()
    {
        var (exit, output, _) = await RunAsync("uri", "check", "--json", "failover:(tcp://m:1)?bogus=1");
        Assert.Equal(2, exit);
        using var document = System.Text.Json.JsonDocument.Parse(output);
        Assert.False(document.RootElement.GetProperty("valid").GetBoolean());
        Assert.Equal("bogus", document.RootElement.GetProperty("option").GetString());
    }

    [Fact]
    public async Task SendAndReceive_AgainstABroker_CountsMatch()
    {
        await using var host = await TestHost.StartAsync();
        var url = $"failover:({host.StompUri})?randomize=false";

        var send = await RunAsync("send", "--url", url, "--destination", "/queue/ctl", "--count", "25", "--persistent", "--user", "admin", "--password", "admin");
        Assert.True(send.Exit == 0, send.Error);
        Assert.Contains("sent 25 of 25", send.Output);

        var receive = await RunAsync("receive", "--url", url, "--destination", "/queue/ctl", "--idle-timeout", "1", "--json");
        Assert.True(receive.Exit == 0, receive.Error);
        using var document = System.Text.Json.JsonDocument.Parse(receive.Output);
        Assert.Equal(25, document.RootElement.GetProperty("received").GetInt32());
        Assert.Equal(25, document.RootElement.GetProperty("distinct").GetInt32());

        var again = await RunAsync("receive", "--url", url, "--destination", "/queue/ctl", "--idle-timeout", "0.5");
        Assert.Contains("received 0 message(s), 0 distinct", again.Output);
    }

    [Fact]
    public async Task Send_BadUri_ExitsTwo()
    {
        var (exit, _, error) = await RunAsync("send", "--url", "failover:(tcp://a:1)?nope=1", "--destination", "/queue/x");
        Assert.Equal(2, exit);
        Assert.Contains("nope", error);
    }

    [Fact]
    public async Task StatusAndMissingFeatures_OverHttp()
    {
        await using var host = await TestHost.StartAsync();
        var url = host.HttpUri.ToString();

        var status = await RunAsync("status", "--url", url);
        Assert.True(status.Exit == 0, status.Error);
        Assert.Contains("b1", status.Output);

        var browse = await RunAsync("browse", "--url", url, "--broker", "b1", "--queue", "q");
        Assert.Equal(3, browse.Exit);
        Assert.Contains("not available on this broker", browse.Error);

        var purge = await RunAsync("purge", "--url", url, "--broker", "b1", "--queue", "q");
        Assert.Equal(3, purge.Exit);
        var promote = await RunAsync("promote", "--url", url, "--broker", "b1");
        Assert.Equal(3, promote.Exit);

        var denied = await RunAsync("status", "--url", url, "--user", "admin", "--password", "wrong");
        Assert.Equal(1, denied.Exit);
        Assert.Contains("401", denied.Error);
    }
}
