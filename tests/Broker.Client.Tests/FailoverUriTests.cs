namespace Broker.Client.Tests;

public sealed class FailoverUriTests
{
    [Fact]
    public void Parse_ParenthesisedList_DefaultsAreActiveMqs()
    {
        var options = FailoverUri.Parse("failover:(tcp://a:61613,tcp://b:61614)");

        Assert.True(options.IsFailover);
        Assert.Equal(["tcp://a:61613", "tcp://b:61614"], options.Endpoints.Select(e => e.ToString()));
        Assert.Equal(TimeSpan.FromMilliseconds(10), options.InitialReconnectDelay);
        Assert.Equal(TimeSpan.FromMilliseconds(30000), options.MaxReconnectDelay);
        Assert.True(options.UseExponentialBackOff);
        Assert.Equal(2.0, options.ReconnectDelayExponent);
        Assert.Equal(-1, options.MaxReconnectAttempts);
        Assert.Equal(-1, options.StartupMaxReconnectAttempts);
        Assert.True(options.Randomize);
        Assert.Equal(Timeout.InfiniteTimeSpan, options.Timeout);
        Assert.False(options.PriorityBackup);
        Assert.Empty(options.PriorityUris);
        Assert.Equal(10, options.WarnAfterReconnectAttempts);
    }

    [Fact]
    public void Parse_EveryOption_IsApplied()
    {
        var options = FailoverUri.Parse(
            "failover:(tcp://a:1,stomp://b:2)?initialReconnectDelay=50&maxReconnectDelay=4000&useExponentialBackOff=false" +
            "&reconnectDelayExponent=1.5&maxReconnectAttempts=7&startupMaxReconnectAttempts=3&randomize=false&timeout=2500" +
            "&priorityBackup=true&priorityURIs=stomp://b:2&warnAfterReconnectAttempts=4");

        Assert.Equal(TimeSpan.FromMilliseconds(50), options.InitialReconnectDelay);
        Assert.Equal(TimeSpan.FromMilliseconds(4000), options.MaxReconnectDelay);
        Assert.False(options.UseExponentialBackOff);
        Assert.Equal(1.5, options.ReconnectDelayExponent);
        Assert.Equal(7, options.MaxReconnectAttempts);
        Assert.Equal(3, options.StartupMaxReconnectAttempts);
        Assert.False(options.Randomize);
        Assert.Equal(TimeSpan.FromMilliseconds(2500), options.Timeout);
        Assert.True(options.PriorityBackup);
        Assert.Equal("stomp://b:2", Assert.Single(options.PriorityUris).ToString());
        Assert.Equal(4, options.WarnAfterReconnectAttempts);
    }

    [Fact]
    public void Parse_BackOffMultiplier_IsAliasOfReconnectDelayExponent()
    {
        Assert.Equal(3.0, FailoverUri.Parse("failover:(tcp://a:1)?backOffMultiplier=3").ReconnectDelayExponent);
    }

    [Fact]
    public void Parse_AliasAndOriginalTogether_IsAnErrorNamingTheOption()
    {
        var error = Assert.Throws<StompUriException>(() => FailoverUri.Parse("failover:(tcp://a:1)?reconnectDelayExponent=2&backOffMultiplier=3"));
        Assert.Equal("backOffMultiplier", error.Option);
    }

    [Fact]
    public void Parse_TransportPrefix_IsAccepted()
    {
        var options = FailoverUri.Parse("failover:(tcp://a:1,tcp://b:2)?transport.randomize=false&transport.maxReconnectAttempts=2");
        Assert.False(options.Randomize);
        Assert.Equal(2, options.MaxReconnectAttempts);
    }

    [Fact]
    public void Parse_NestedOptions_ApplyToEveryUriThatDoesNotSetThem()
    {
        var options = FailoverUri.Parse("failover:(tcp://a:1?connectionTimeout=700,tcp://b:2)?nested.connectionTimeout=1500&nested.keepAlive=true");
        Assert.Equal(TimeSpan.FromMilliseconds(700), options.Endpoints[0].ConnectionTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), options.Endpoints[1].ConnectionTimeout);
        Assert.True(options.Endpoints[0].KeepAlive);
        Assert.True(options.Endpoints[1].KeepAlive);
    }

    [Fact]
    public void Parse_UnknownNestedOption_IsAnErrorNamingIt()
    {
        var error = Assert.Throws<StompUriException>(() => FailoverUri.Parse("failover:(tcp://a:1)?nested.wireFormat.bogus=1"));
        Assert.Equal("nested.wireFormat.bogus", error.Option);
    }

    [Fact]
    public void Parse_WithoutParentheses_TakesTheTrailingQueryAsFailoverOptions()
    {
        var options = FailoverUri.Parse("failover:tcp://a:1,tcp://b:2?randomize=false");
        Assert.Equal(2, options.Endpoints.Count);
        Assert.False(options.Randomize);
    }

    [Fact]
    public void Parse_PlainTcpUri_IsASingleBrokerWithoutFailover()
    {
        var options = FailoverUri.Parse("tcp://127.0.0.1:61613");
        Assert.False(options.IsFailover);
        Assert.Equal("tcp://127.0.0.1:61613", Assert.Single(options.Endpoints).ToString());
    }

    [Fact]
    public void Parse_MissingPort_DefaultsTo61613()
    {
        Assert.Equal(61613, FailoverUri.Parse("failover:(tcp://broker)").Endpoints[0].Port);
    }

    [Theory]
    [InlineData("failover:(tcp://a:1?randomize=false)", "randomize")]
    [InlineData("failover:(tcp://a:1)?randomise=false", "randomise")]
    [InlineData("failover:(tcp://a:1)?maxReconnectAttempts=lots", "maxReconnectAttempts")]
    [InlineData("failover:(tcp://a:1)?initialReconnectDelay=1.5", "initialReconnectDelay")]
    [InlineData("failover:(tcp://a:1)?randomize=yes", "randomize")]
    [InlineData("failover:(tcp://a:1)?reconnectDelayExponent=abc", "reconnectDelayExponent")]
    [InlineData("failover:(tcp://a:1)?reconnectDelayExponent=0.5", "reconnectDelayExponent")]
    [InlineData("failover:(tcp://a:1)?maxReconnectAttempts=-2", "maxReconnectAttempts")]
    [InlineData("failover:(tcp://a:1)?timeout=-5", "timeout")]
    [InlineData("failover:(tcp://a:1)?initialReconnectDelay=100&maxReconnectDelay=50", "maxReconnectDelay")]
    [InlineData("failover:(tcp://a:1)?randomize=false&randomize=true", "randomize")]
    [InlineData("failover:(tcp://a:1)?priorityURIs=tcp://c:3", "priorityURIs")]
    [InlineData("failover:(tcp://a:1)?timeout", "timeout")]
    public void Parse_BadOption_IsAnErrorNamingIt(string uri, string option)
    {
        var error = Assert.Throws<StompUriException>(() => FailoverUri.Parse(uri));
        Assert.Equal(option, error.Option);
        Assert.Contains(option, error.Message);
    }

    [Theory]
    [InlineData("failover:(tcp://a:1,tcp://b:2", "')'")]
    [InlineData("failover:tcp://a:1)", "'('")]
    [InlineData("failover:()", "no broker")]
    [InlineData("failover:", "no broker")]
    [InlineData("failover:(tcp://a:1,)", "empty entry")]
    [InlineData("failover:(tcp://a:1)x", "unexpected")]
    [InlineData("failover:(http://a:1)", "unsupported scheme 'http'")]
    [InlineData("amqp://a:5672", "unsupported scheme 'amqp'")]
    [InlineData("failover:(a:1)", "not a broker URI")]
    [InlineData("failover:(tcp://a:99999)", "not a valid broker URI")]
    [InlineData("failover:(tcp://a:1/path)", "path")]
    [InlineData("failover:(tcp://a:1)?", "gives no option")]
    [InlineData("failover:(tcp://a:1)?randomize=false&", "stray '&'")]
    [InlineData("", "empty")]
    public void Parse_MalformedUri_IsAnErrorSayingWhat(string uri, string expected)
    {
        var error = Assert.Throws<StompUriException>(() => FailoverUri.Parse(uri));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void TryParse_Malformed_ReturnsTheError()
    {
        Assert.False(FailoverUri.TryParse("failover:(tcp://a:1)?bogus=1", out var options, out var error));
        Assert.Null(options);
        Assert.Equal("bogus", error!.Option);
    }

    [Fact]
    public void Parse_NeverResolvesHosts()
    {
        var options = FailoverUri.Parse("failover:(tcp://no-such-host.invalid:61613)");
        Assert.Equal("no-such-host.invalid", options.Endpoints[0].Host);
    }
}
