using Broker.Core.Selectors;

namespace Broker.Core.Tests.Selectors;

public sealed class ErrorTests
{
    [Theory]
    [InlineData("color = 'red", 9, "unterminated string")]
    [InlineData("color =", 8, "expected an operand, found the end")]
    [InlineData("= 'red'", 1, "expected an operand, found '='")]
    [InlineData("color = 'red' AND", 18, "expected an operand, found the end")]
    [InlineData("color = 'red' AND AND price > 1", 19, "expected an operand, found 'AND'")]
    [InlineData("color != 'red'", 7, "unknown token '!'")]
    [InlineData("color = 'red' # x", 15, "unknown token '#'")]
    [InlineData("region IN ()", 12, "expected a string in the IN list, found ')'")]
    [InlineData("region IN ('EU',)", 17, "expected a string after ',' in the IN list, found ')'")]
    [InlineData("region IN ('EU' 'US')", 17, "expected ')' or ',' in the IN list, found a string")]
    [InlineData("region IN (1, 2)", 12, "expected a string in the IN list, found a number")]
    [InlineData("v LIKE 'a%' ESCAPE '\\\\'", 20, "ESCAPE must be one character, not 2")]
    [InlineData("v LIKE 'a%' ESCAPE ''", 20, "ESCAPE must be one character, not 0")]
    [InlineData("v LIKE 5", 8, "expected a string pattern after LIKE, found a number")]
    [InlineData("(color = 'red'", 15, "expected ')', found the end")]
    [InlineData("(price > 100", 13, "expected ')', found the end")]
    [InlineData("color = 'red')", 14, "unexpected ')'")]
    [InlineData("price BETWEEN 1 OR 2", 17, "expected AND between the bounds of BETWEEN, found 'OR'")]
    [InlineData("color IS 'red'", 10, "expected NULL or NOT NULL after IS, found a string")]
    [InlineData("color NOT = 'red'", 11, "expected BETWEEN, IN or LIKE after NOT, found '='")]
    [InlineData("color = NULL", 9, "NULL can only follow IS or IS NOT")]
    [InlineData("price", -1, "")]
    [InlineData("1 + 2", 1, "expected a condition, found a number")]
    [InlineData("'red'", 1, "expected a condition, found a string")]
    [InlineData("color = 'red' AND 5", 19, "expected a condition, found a number")]
    [InlineData("NOT 5", 5, "expected a condition, found a number")]
    [InlineData("price > 'cheap'", 9, "'>' compares numbers, not a string literal")]
    [InlineData("price < TRUE", 9, "'<' compares numbers, not a condition")]
    [InlineData("'a' BETWEEN 1 AND 2", 1, "'BETWEEN' compares numbers, not a string literal")]
    [InlineData("'a' + 1 = 2", 1, "'+' needs numbers, not a string literal")]
    [InlineData("TRUE = 1", 8, "'=' cannot compare a condition with a number")]
    [InlineData("'EU' IN ('EU')", 1, "IN needs an identifier on its left")]
    [InlineData("price > 12abc", 9, "invalid number '12a'")]
    [InlineData("price > 0x", 9, "invalid hexadecimal number '0x'")]
    [InlineData("price > 09", 9, "invalid octal number '09'")]
    [InlineData("price > 1e", 10, "invalid exponent in '1e'")]
    [InlineData("/* open", 1, "unterminated comment")]
    [InlineData("", 1, "the selector is empty")]
    [InlineData("   -- nothing", 1, "the selector is empty")]
    public void BadSelector_ThrowsWithPosition(string selector, int position, string detail)
    {
        if (position < 0)
        {
            // A bare identifier is a valid condition (TRUE when its header says 'true').
            Assert.Equal(selector, MessageSelector.Parse(selector).Text);
            return;
        }
        var e = Assert.Throws<SelectorException>(() => MessageSelector.Parse(selector));
        Assert.Equal(detail, e.Detail);
        Assert.Equal(position, e.Position);
        Assert.Equal($"selector error at position {position}: {detail}", e.Message);
    }

    [Fact]
    public void TooLong_IsRefused()
    {
        string selector = "color = '" + new string('x', 4096) + "'";
        var e = Assert.Throws<SelectorException>(() => MessageSelector.Parse(selector));
        Assert.Equal(4097, e.Position);
        Assert.Equal("the selector is longer than 4096 characters", e.Detail);
    }

    [Fact]
    public void LongestAllowed_Parses()
    {
        string selector = "color = '" + new string('x', 4096 - 10) + "'";
        Assert.Equal(4096, selector.Length);
        Assert.False(MessageSelector.Parse(selector).Matches(Selectors.Order));
    }

    [Fact]
    public void NestedTooDeep_IsRefusedAtTheParenthesis()
    {
        string ok = new string('(', 64) + "color = 'red'" + new string(')', 64);
        Assert.True(MessageSelector.Parse(ok).Matches(Selectors.Order));

        string deep = new string('(', 65) + "color = 'red'" + new string(')', 65);
        var e = Assert.Throws<SelectorException>(() => MessageSelector.Parse(deep));
        Assert.Equal(65, e.Position);
        Assert.Equal("the selector nests deeper than 64 levels", e.Detail);
    }

    [Fact]
    public void ManyNots_CountAsNesting()
    {
        var e = Assert.Throws<SelectorException>(() => MessageSelector.Parse(string.Concat(Enumerable.Repeat("NOT ", 65)) + "TRUE"));
        Assert.Equal(257, e.Position);
        var minus = Assert.Throws<SelectorException>(() => MessageSelector.Parse(string.Concat(Enumerable.Repeat("- ", 65)) + "1 = 1"));
        Assert.Equal(129, minus.Position);
    }

    [Fact]
    public void Null_IsRefused() =>
        Assert.Throws<ArgumentNullException>(() => MessageSelector.Parse(null!));
}
