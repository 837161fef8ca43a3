using static Broker.Core.Tests.Selectors.Selectors;

namespace Broker.Core.Tests.Selectors;

public sealed class ArithmeticTests
{
    [Theory]
    [InlineData("1 + 2 * 3 = 7", "TRUE")]
    [InlineData("(1 + 2) * 3 = 9", "TRUE")]
    [InlineData("10 - 4 - 3 = 3", "TRUE")]
    [InlineData("2 * 3 + 4 * 5 = 26", "TRUE")]
    [InlineData("-2 * -3 = 6", "TRUE")]
    [InlineData("- (2 + 3) = -5", "TRUE")]
    [InlineData("+5 = 5", "TRUE")]
    [InlineData("1 - -1 = 2", "TRUE")]
    [InlineData("7 / 2 = 3.5", "TRUE")]
    [InlineData("6 / 2 = 3", "TRUE")]
    [InlineData("12 / 2 / 3 = 2", "TRUE")]
    [InlineData("7 % 4 = 3", "TRUE")]
    [InlineData("1 / 0 > 1000000", "TRUE")]
    [InlineData("0.1 + 0.2 > 0.3", "TRUE")]
    [InlineData("9223372036854775807 + 1 < 0", "TRUE")]
    public void Arithmetic_FollowsPrecedence(string selector, string expected) =>
        Assert.Equal(expected, Eval(selector));

    [Theory]
    [InlineData("price * 2 = 300", "TRUE")]
    [InlineData("price + weight = 152.5", "TRUE")]
    [InlineData("price / 4 = 37.5", "TRUE")]
    [InlineData("-price = -150", "TRUE")]
    [InlineData("price - 50 BETWEEN 99 AND 101", "TRUE")]
    [InlineData("missing + 1 = 1", "UNKNOWN")]
    [InlineData("-missing = 1", "UNKNOWN")]
    [InlineData("color + 1 = 1", "UNKNOWN")]
    [InlineData("color * 2 > 0 OR TRUE", "TRUE")]
    [InlineData("JMSPriority + 1 = 5", "TRUE")]
    public void Arithmetic_OnHeaders_ConvertsNumericStrings(string selector, string expected) =>
        Assert.Equal(expected, Eval(selector));
}
