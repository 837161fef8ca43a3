using static Broker.Core.Tests.Selectors.Selectors;

namespace Broker.Core.Tests.Selectors;

public sealed class PredicateTests
{
    [Theory]
    [InlineData("price BETWEEN 100 AND 200", "TRUE")]
    [InlineData("price BETWEEN 150 AND 150", "TRUE")]
    [InlineData("price BETWEEN 151 AND 200", "FALSE")]
    [InlineData("price NOT BETWEEN 151 AND 200", "TRUE")]
    [InlineData("price NOT BETWEEN 100 AND 200", "FALSE")]
    [InlineData("weight BETWEEN 2 AND 3", "TRUE")]
    [InlineData("price BETWEEN 100 + 40 AND 300 / 2", "TRUE")]
    [InlineData("missing BETWEEN 1 AND 2", "UNKNOWN")]
    [InlineData("missing NOT BETWEEN 1 AND 2", "UNKNOWN")]
    [InlineData("price BETWEEN missing AND 200", "UNKNOWN")]
    [InlineData("price BETWEEN missing AND 100", "FALSE")]
    [InlineData("color BETWEEN 1 AND 2", "FALSE")]
    [InlineData("price BETWEEN 1 AND 2 AND color = 'red'", "FALSE")]
    public void Between_IsInclusive(string selector, string expected) =>
        Assert.Equal(expected, Eval(selector));

    [Theory]
    [InlineData("region IN ('EU', 'US')", "TRUE")]
    [InlineData("region IN ('US')", "FALSE")]
    [InlineData("region IN ('eu')", "FALSE")]
    [InlineData("region NOT IN ('US', 'APAC')", "TRUE")]
    [InlineData("region NOT IN ('EU')", "FALSE")]
    [InlineData("missing IN ('EU')", "UNKNOWN")]
    [InlineData("missing NOT IN ('EU')", "UNKNOWN")]
    [InlineData("NOT (missing IN ('EU'))", "UNKNOWN")]
    [InlineData("JMSPriority IN ('4')", "UNKNOWN")]
    [InlineData("name IN ('o''neil')", "TRUE")]
    public void In_MatchesExactStrings(string selector, string expected) =>
        Assert.Equal(expected, Eval(selector));

    [Fact]
    public void In_LongList_UsesTheSameRules()
    {
        string list = string.Join(", ", Enumerable.Range(0, 100).Select(i => $"'R{i}'"));
        Assert.Equal("TRUE", Eval($"region IN ({list})", Message(("region", "R42"))));
        Assert.Equal("FALSE", Eval($"region IN ({list})", Message(("region", "R100"))));
        Assert.Equal("TRUE", Eval($"region NOT IN ({list})", Message(("region", "r42"))));
        Assert.Equal("UNKNOWN", Eval($"region NOT IN ({list})", Message()));
    }

    [Theory]
    [InlineData("color IS NULL", "FALSE")]
    [InlineData("color IS NOT NULL", "TRUE")]
    [InlineData("missing IS NULL", "TRUE")]
    [InlineData("missing IS NOT NULL", "FALSE")]
    [InlineData("(missing + 1) IS NULL", "TRUE")]
    [InlineData("NOT missing IS NULL", "FALSE")]
    public void IsNull_IsNeverUnknown(string selector, string expected) =>
        Assert.Equal(expected, Eval(selector));

    [Fact]
    public void EmptyHeaderValue_IsNotNull() =>
        Assert.Equal("TRUE", Eval("h IS NOT NULL AND h = ''", Message(("h", ""))));
}
