using static Broker.Core.Tests.Selectors.Selectors;

namespace Broker.Core.Tests.Selectors;

public sealed class LikeTests
{
    [Theory]
    [InlineData("abc", "abc", true)]
    [InlineData("abc", "abcd", false)]
    [InlineData("abc", "ab", false)]
    [InlineData("a%", "abc", true)]
    [InlineData("a%", "a", true)]
    [InlineData("a%", "bac", false)]
    [InlineData("%c", "abc", true)]
    [InlineData("%c", "abcd", false)]
    [InlineData("%b%", "abc", true)]
    [InlineData("%b%", "ac", false)]
    [InlineData("%", "", true)]
    [InlineData("", "", true)]
    [InlineData("", "a", false)]
    [InlineData("a_c", "abc", true)]
    [InlineData("a_c", "ac", false)]
    [InlineData("a_c", "abbc", false)]
    [InlineData("___", "abc", true)]
    [InlineData("___", "ab", false)]
    [InlineData("a%b%c", "aXXbYYc", true)]
    [InlineData("a%b%c", "aXXcYYb", false)]
    [InlineData("%a%a%a%b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", true)]
    [InlineData("%a%a%a%b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false)]
    [InlineData("_%_", "ab", true)]
    [InlineData("_%_", "a", false)]
    [InlineData("%%x", "x", true)]
    [InlineData("a\nb%", "a\nbc", true)]
    public void Like_MatchesPercentAndUnderscore(string pattern, string value, bool expected) =>
        Assert.Equal(expected ? "TRUE" : "FALSE", Eval($"v LIKE '{pattern}'", Message(("v", value))));

    [Theory]
    [InlineData("a.c", "abc", false)]
    [InlineData("a.c", "a.c", true)]
    [InlineData("a*", "aaa", false)]
    [InlineData("a*", "a*", true)]
    [InlineData("[ab]", "a", false)]
    [InlineData("[ab]", "[ab]", true)]
    [InlineData("^a$", "^a$", true)]
    [InlineData("a+b?(c)|d{2}\\", "a+b?(c)|d{2}\\", true)]
    [InlineData("%.txt", "readme.txt", true)]
    [InlineData("%.txt", "readmeXtxt", false)]
    public void Like_TakesRegexMetacharactersLiterally(string pattern, string value, bool expected) =>
        Assert.Equal(expected ? "TRUE" : "FALSE", Eval($"v LIKE '{pattern}'", Message(("v", value))));

    [Theory]
    [InlineData(@"100\%", "100%", true)]
    [InlineData(@"100\%", "1000", false)]
    [InlineData(@"a\_c", "a_c", true)]
    [InlineData(@"a\_c", "abc", false)]
    [InlineData(@"a\\c", @"a\c", true)]
    [InlineData(@"%\%%", "50% off", true)]
    [InlineData(@"%\%%", "50 off", false)]
    [InlineData(@"a\b", @"a\b", true)]
    [InlineData(@"a\", @"a\", true)]
    public void Like_WithEscape_MakesWildcardsLiteral(string pattern, string value, bool expected) =>
        Assert.Equal(expected ? "TRUE" : "FALSE", Eval($@"v LIKE '{pattern}' ESCAPE '\'", Message(("v", value))));

    [Fact]
    public void Like_EscapeCanBeAnyCharacter() =>
        Assert.Equal("TRUE", Eval("v LIKE '5!%' ESCAPE '!'", Message(("v", "5%"))));

    [Theory]
    [InlineData("color NOT LIKE 'r%'", "FALSE")]
    [InlineData("color NOT LIKE 'b%'", "TRUE")]
    [InlineData("missing LIKE '%'", "UNKNOWN")]
    [InlineData("missing NOT LIKE '%'", "UNKNOWN")]
    [InlineData("JMSPriority LIKE '4'", "FALSE")]
    [InlineData("JMSPriority NOT LIKE '4'", "TRUE")]
    [InlineData("price LIKE '15_'", "TRUE")]
    public void Like_OnNullOrNonString(string selector, string expected) =>
        Assert.Equal(expected, Eval(selector));
}
