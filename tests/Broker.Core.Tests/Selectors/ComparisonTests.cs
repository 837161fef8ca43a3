using static Broker.Core.Tests.Selectors.Selectors;

namespace Broker.Core.Tests.Selectors;

public sealed class ComparisonTests
{
    [Theory]
    [InlineData("1 = 1", "TRUE")]
    [InlineData("1 = 2", "FALSE")]
    [InlineData("1 <> 2", "TRUE")]
    [InlineData("1 <> 1", "FALSE")]
    [InlineData("1 < 2", "TRUE")]
    [InlineData("2 < 1", "FALSE")]
    [InlineData("2 < 2", "FALSE")]
    [InlineData("2 > 1", "TRUE")]
    [InlineData("1 > 2", "FALSE")]
    [InlineData("2 <= 2", "TRUE")]
    [InlineData("3 <= 2", "FALSE")]
    [InlineData("2 >= 2", "TRUE")]
    [InlineData("1 >= 2", "FALSE")]
    [InlineData("1 = 1.0", "TRUE")]
    [InlineData("1.5 > 1", "TRUE")]
    [InlineData("'a' = 'a'", "TRUE")]
    [InlineData("'a' = 'A'", "FALSE")]
    [InlineData("'a' <> 'b'", "TRUE")]
    [InlineData("TRUE = TRUE", "TRUE")]
    [InlineData("TRUE = FALSE", "FALSE")]
    [InlineData("TRUE <> FALSE", "TRUE")]
    public void Operator_OnLiterals_ComparesByValue(string selector, string expected) =>
        Assert.Equal(expected, Eval(selector));

    [Theory]
    [InlineData("color = 'red'", "TRUE")]
    [InlineData("color = 'Red'", "FALSE")]
    [InlineData("color <> 'blue'", "TRUE")]
    [InlineData("'red' = color", "TRUE")]
    [InlineData("name = 'o''neil'", "TRUE")]
    [InlineData("color = region", "FALSE")]
    public void StringHeader_ComparesOrdinally(string selector, string expected) =>
        Assert.Equal(expected, Eval(selector));

    [Theory]
    [InlineData("price > 100", "TRUE")]
    [InlineData("price < 100", "FALSE")]
    [InlineData("price = 150", "TRUE")]
    [InlineData("price = 150.0", "TRUE")]
    [InlineData("price <> 150", "FALSE")]
    [InlineData("price >= 150", "TRUE")]
    [InlineData("price <= 149", "FALSE")]
    [InlineData("100 < price", "TRUE")]
    [InlineData("weight > 2", "TRUE")]
    [InlineData("weight = 2.5", "TRUE")]
    [InlineData("weight < 2.6", "TRUE")]
    public void NumericStringHeader_ComparesWithNumberNumerically(string selector, string expected) =>
        Assert.Equal(expected, Eval(selector));

    [Fact]
    public void NumericStringHeader_ReadsSignAndExponent()
    {
        var m = Message(("a", "-5"), ("b", "1e3"), ("c", "+7"), ("d", ".5"));
        Assert.Equal("TRUE", Eval("a < 0", m));
        Assert.Equal("TRUE", Eval("b = 1000", m));
        Assert.Equal("TRUE", Eval("c = 7", m));
        Assert.Equal("TRUE", Eval("d = 0.5", m));
    }

    [Theory]
    [InlineData("abc", "price > 100", "FALSE")]
    [InlineData("abc", "price = 100", "FALSE")]
    [InlineData("abc", "price <> 100", "TRUE")]
    [InlineData("abc", "NOT (price > 100)", "TRUE")]
    [InlineData(" 150", "price = 150", "FALSE")]
    [InlineData("NaN", "price < 1", "FALSE")]
    [InlineData("Infinity", "price > 1", "FALSE")]
    [InlineData("", "price = 0", "FALSE")]
    public void NonNumericStringHeader_AgainstNumber_IsFalseNotUnknown(string price, string selector, string expected) =>
        Assert.Equal(expected, Eval(selector, Message(("price", price))));

    [Fact]
    public void TwoStringHeaders_OrderOrdinally_AsActiveMq()
    {
        var m = Message(("a", "10"), ("b", "9"));
        Assert.Equal("FALSE", Eval("a > b", m));
        Assert.Equal("TRUE", Eval("a < b", m));
    }

    [Theory]
    [InlineData("true", "flag = TRUE", "TRUE")]
    [InlineData("TRUE", "flag = TRUE", "TRUE")]
    [InlineData("false", "flag = FALSE", "TRUE")]
    [InlineData("false", "flag = TRUE", "FALSE")]
    [InlineData("false", "flag <> TRUE", "TRUE")]
    [InlineData("yes", "flag = TRUE", "FALSE")]
    [InlineData("yes", "flag = FALSE", "FALSE")]
    [InlineData("true", "flag", "TRUE")]
    [InlineData("False", "flag", "FALSE")]
    [InlineData("yes", "flag", "FALSE")]
    [InlineData("true", "NOT flag", "FALSE")]
    [InlineData("true", "flag AND TRUE", "TRUE")]
    public void BooleanHeader_ComparesWithTrueAndFalse(string flag, string selector, string expected) =>
        Assert.Equal(expected, Eval(selector, Message(("flag", flag))));

    [Theory]
    [InlineData("missing = 1")]
    [InlineData("missing <> 1")]
    [InlineData("missing = 'x'")]
    [InlineData("missing > 1")]
    [InlineData("missing <= 1")]
    [InlineData("1 = missing")]
    [InlineData("missing = missing")]
    [InlineData("missing = TRUE")]
    [InlineData("missing")]
    public void Comparison_WithMissingHeader_IsUnknown(string selector) =>
        Assert.Equal("UNKNOWN", Eval(selector));

    [Fact]
    public void Matches_IsTrueOnlyForTrue()
    {
        Assert.True(Broker.Core.Selectors.MessageSelector.Parse("color = 'red'").Matches(Order));
        Assert.False(Broker.Core.Selectors.MessageSelector.Parse("color = 'blue'").Matches(Order));
        Assert.False(Broker.Core.Selectors.MessageSelector.Parse("missing = 'x'").Matches(Order));
        Assert.False(Broker.Core.Selectors.MessageSelector.Parse("NOT (missing = 'x')").Matches(Order));
    }

    [Fact]
    public void Identifiers_AreCaseSensitive_KeywordsAreNot()
    {
        Assert.Equal("UNKNOWN", Eval("COLOR = 'red'"));
        Assert.Equal("TRUE", Eval("color = 'red' and price > 100 Or false"));
        Assert.Equal("TRUE", Eval("color is not null"));
    }

    [Theory]
    [InlineData("0x1F = 31", "TRUE")]
    [InlineData("0XfF = 255", "TRUE")]
    [InlineData("017 = 15", "TRUE")]
    [InlineData("0 = 0", "TRUE")]
    [InlineData("10L = 10", "TRUE")]
    [InlineData("9223372036854775807 > 0", "TRUE")]
    [InlineData("-9223372036854775808 < 0", "TRUE")]
    [InlineData("1.5E2 = 150", "TRUE")]
    [InlineData("1e-1 = 0.1", "TRUE")]
    [InlineData("5. = 5", "TRUE")]
    [InlineData(".5 = 0.5", "TRUE")]
    [InlineData("2.5e+1 = 25", "TRUE")]
    public void NumericLiterals_ReadAsActiveMqReadsThem(string selector, string expected) =>
        Assert.Equal(expected, Eval(selector));

    [Fact]
    public void Comments_AreSkipped() =>
        Assert.Equal("TRUE", Eval("/* the colour */ color = 'red' -- only red\n AND price > 100"));
}
