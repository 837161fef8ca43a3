using Broker.Core.Messages;
using Broker.Core.Security;

namespace Broker.Core.Tests;

public class DestinationPatternTests
{
    [Theory]
    [InlineData("PRICE.STOCK.>", "PRICE.STOCK.NYSE.IBM", true)]
    [InlineData("PRICE.STOCK.>", "PRICE.STOCK.NYSE", true)]
    [InlineData("PRICE.STOCK.>", "PRICE.STOCK", true)]
    [InlineData("PRICE.STOCK.>", "PRICE.STOCKS.NYSE", false)]
    [InlineData("PRICE.STOCK.>", "PRICE", false)]
    [InlineData("PRICE.>", "PRICE.STOCK.NASDAQ.ORCL", true)]
    [InlineData(">", "anything.at.all", true)]
    [InlineData(">", "one", true)]
    [InlineData("orders.*", "orders.eu", true)]
    [InlineData("orders.*", "orders.eu.paris", false)]
    [InlineData("orders.*", "orders", false)]
    [InlineData("orders.*", "ordersX.eu", false)]
    [InlineData("PRICE.STOCK.*.IBM", "PRICE.STOCK.NYSE.IBM", true)]
    [InlineData("PRICE.STOCK.*.IBM", "PRICE.STOCK.NYSE.ORCL", false)]
    [InlineData("PRICE.STOCK.*.IBM", "PRICE.STOCK.IBM", false)]
    [InlineData("*.*", "a.b", true)]
    [InlineData("*.*", "a", false)]
    [InlineData("*.*", "a.b.c", false)]
    [InlineData("*", "a", true)]
    [InlineData("*", "a.b", false)]
    [InlineData("*.>", "a.b", true)]
    [InlineData("*.>", "a", true)]
    [InlineData("a.>", "a.", true)]
    [InlineData("a.>", "ab", false)]
    [InlineData("a.*", "a.", true)]
    public void Matches_FollowsActiveMq517(string pattern, string name, bool matches)
    {
        Assert.True(DestinationPattern.TryParse(DestinationName.Topic(pattern), out var parsed, out var error), error);

        Assert.Equal(matches, parsed.Matches(name));
    }

    [Fact]
    public void Matches_KindMustAgree()
    {
        var pattern = DestinationPattern.Of(DestinationName.Queue("orders.*"))!;

        Assert.True(pattern.Matches(DestinationName.Queue("orders.eu")));
        Assert.False(pattern.Matches(DestinationName.Topic("orders.eu")));
    }

    [Theory]
    [InlineData("PRICE.>.IBM", "must be the last")]
    [InlineData("PRICE.ST*", "must stand alone")]
    [InlineData("PRICE.>>", "must stand alone")]
    [InlineData("a*b", "must stand alone")]
    public void TryParse_RefusesMalformedWildcards(string name, string expected)
    {
        Assert.False(DestinationName.TryParse("/topic/" + name, allowWildcards: true, out _, out var error));
        Assert.Contains(expected, error);
    }

    [Theory]
    [InlineData("/queue/orders.*")]
    [InlineData("/topic/PRICE.>")]
    public void TryParse_WildcardsOnlyWhereAllowed(string text)
    {
        Assert.True(DestinationName.TryParse(text, allowWildcards: true, out var parsed, out _));
        Assert.True(parsed.IsWildcard);
        Assert.False(DestinationName.TryParse(text, out _, out var error));
        Assert.Contains("only SUBSCRIBE may use", error);
    }

    [Fact]
    public void LiteralPrefix_IsWhatEveryMatchStartsWith()
    {
        Assert.Equal("PRICE.STOCK", DestinationPattern.Of(DestinationName.Topic("PRICE.STOCK.>"))!.LiteralPrefix);
        Assert.Equal("PRICE.STOCK.", DestinationPattern.Of(DestinationName.Topic("PRICE.STOCK.*"))!.LiteralPrefix);
        Assert.Equal("", DestinationPattern.Of(DestinationName.Topic("*.IBM"))!.LiteralPrefix);
        Assert.Equal("PRICE.", DestinationPattern.Of(DestinationName.Topic("PRICE.*.IBM"))!.LiteralPrefix);
        Assert.Equal("", DestinationPattern.Of(DestinationName.Topic(">"))!.LiteralPrefix);
    }

    [Theory]
    [InlineData("/queue/a,/topic/b", "/queue/a", "/topic/b")]
    [InlineData("/queue/a,b,/topic/c,d", "/queue/a", "/queue/b", "/topic/c", "/queue/d")]
    [InlineData("/topic/a,b", "/topic/a", "/queue/b")]
    [InlineData("/queue/a,/queue/a", "/queue/a")]
    [InlineData("/topic/x", "/topic/x")]
    public void TryParseComposite_ElementWithoutPrefixIsAQueue_AsActiveMq517Does(string text, params string[] expected)
    {
        Assert.True(DestinationName.TryParseComposite(text, allowWildcards: false, out var destinations, out var error), error);

        Assert.Equal(expected, destinations.Select(d => d.ToString()));
    }

    [Theory]
    [InlineData("a,/queue/b")]
    [InlineData("/queue/a,")]
    [InlineData("/queue/a,/topic/b.*")]
    public void TryParseComposite_RefusesBadElements(string text)
    {
        Assert.False(DestinationName.TryParseComposite(text, allowWildcards: false, out _, out var error));
        Assert.NotNull(error);
    }

    [Theory]
    [InlineData("*", "/queue/orders.*", true)]
    [InlineData("/queue/orders.*", "/queue/orders.*", true)]
    [InlineData("/queue/ord*", "/queue/orders.>", true)]
    [InlineData("/queue/orders.*", "/queue/orders.>", false)]
    [InlineData("/queue/orders*", "/queue/orders.>", true)]
    [InlineData("/queue/orders.eu", "/queue/orders.*", false)]
    [InlineData("/queue/orders.eu*", "/queue/orders.*", false)]
    [InlineData("/queue/orders.*", "/queue/*.eu", false)]
    [InlineData("/queue/*", "/queue/>", true)]
    [InlineData("/topic/*", "/queue/>", false)]
    public void CoversAll_OnlyWhenEveryPossibleMatchIsCovered(string grant, string pattern, bool covered)
    {
        DestinationName.TryParse(pattern, allowWildcards: true, out var parsed, out _);

        Assert.Equal(covered, new RoleGrant("consumer", Permission.Consume, grant).CoversAll(parsed));
    }

    [Fact]
    public void CanAll_NeedsOneGrantOfThePermissionCoveringTheWholePattern()
    {
        var user = new BrokerUser("u", new HashSet<string> { "orders", Roles.Producer },
            [.. Roles.DefaultGrants, new RoleGrant("orders", Permission.Consume, "/queue/orders.*")]);

        Assert.True(user.CanAll(Permission.Consume, DestinationName.Queue("orders.*")));
        Assert.True(user.CanAll(Permission.Consume, DestinationName.Queue("orders.eu.>")));
        Assert.False(user.CanAll(Permission.Consume, DestinationName.Queue(">")));
        Assert.False(user.CanAll(Permission.Consume, DestinationName.Queue("orders.>")));
        Assert.False(user.CanAll(Permission.Consume, DestinationName.Topic("orders.*")));
        Assert.True(user.Can(Permission.Send, "/queue/anything"));
        Assert.False(new BrokerUser("p", new HashSet<string> { Roles.Producer }, Roles.DefaultGrants).CanAll(Permission.Consume, DestinationName.Topic("a.>")));
    }
}
