using BrokerCtl;
using Microsoft.AspNetCore.Hosting;

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
    public async Task Status_OverHttp_ListsBrokersAndRejectsBadCredentials()
    {
        await using var host = await TestHost.StartAsync();
        var url = host.HttpUri.ToString();

        var status = await RunAsync("status", "--url", url);
        Assert.True(status.Exit == 0, status.Error);
        Assert.Contains("b1", status.Output);

        var json = await RunAsync("status", "--url", url, "--json");
        using var document = System.Text.Json.JsonDocument.Parse(json.Output);
        Assert.Equal("b1", document.RootElement[0].GetProperty("name").GetString());

        var denied = await RunAsync("status", "--url", url, "--user", "admin", "--password", "wrong");
        Assert.Equal(1, denied.Exit);
        Assert.Contains("401", denied.Error);
    }

    [Fact]
    public async Task BrowsePurgePromote_RouteMissing_SayNotAvailable()
    {
        // A host whose API lacks the routes answers 404 without problem details.
        var builder = Microsoft.AspNetCore.Builder.WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var bare = builder.Build();
        await bare.StartAsync();
        var url = bare.Urls.First();

        foreach (var args in new[] { new[] { "browse", "--broker", "b1", "--queue", "q" }, ["purge", "--broker", "b1", "--queue", "q"], ["promote", "--broker", "b1"] })
        {
            var result = await RunAsync([.. args, "--url", url]);
            Assert.Equal(3, result.Exit);
            Assert.Contains($"{args[0]}: not available on this broker", result.Error);
        }
        await bare.StopAsync();
    }

    [Fact]
    public async Task Switchover_OfALoneMaster_FailsWithTheBrokersReason()
    {
        await using var host = await TestHost.StartAsync();

        var result = await RunAsync("switchover", "--url", host.HttpUri.ToString(), "--broker", "b1");

        Assert.Equal(BrokerCtlApp.Failed, result.Exit);
        Assert.Contains("409", result.Error);
        Assert.Contains("no slave in sync", result.Error);
    }

    [Fact]
    public async Task Browse_OnABrokerWithTheRoute_ListsOrSaysNotAvailable()
    {
        await using var host = await TestHost.StartAsync();
        await using (var connection = await StompConnection.ConnectAsync(host.StompUri, StompClientOptions.Default with { Login = "admin", Passcode = "admin" }))
        {
            await connection.SendAsync("/queue/browsed", "look");
        }
        var browse = await RunAsync("browse", "--url", host.HttpUri.ToString(), "--broker", "b1", "--queue", "browsed");
        // Either answer is right, depending on whether this host's API has the route yet.
        Assert.True(browse.Exit == 0 ? browse.Output.Contains("look") : browse.Exit == 3 && browse.Error.Contains("not available"), browse.Output + browse.Error);
    }
}
