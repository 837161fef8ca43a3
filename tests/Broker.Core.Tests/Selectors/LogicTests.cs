using static Broker.Core.Tests.Selectors.Selectors;

namespace Broker.Core.Tests.Selectors;

/// <summary>SQL's three-valued truth tables, as JMS specifies them.</summary>
public sealed class LogicTests
{
    private static readonly Dictionary<string, string> Term = new()
    {
        ["TRUE"] = "(1 = 1)",
        ["FALSE"] = "(1 = 2)",
        ["UNKNOWN"] = "(missing = 1)",
    };

    [Theory]
    [InlineData("TRUE", "TRUE", "TRUE")]
    [InlineData("TRUE", "FALSE", "FALSE")]
    [InlineData("TRUE", "UNKNOWN", "UNKNOWN")]
    [InlineData("FALSE", "TRUE", "FALSE")]
    [InlineData("FALSE", "FALSE", "FALSE")]
    [InlineData("FALSE", "UNKNOWN", "FALSE")]
    [InlineData("UNKNOWN", "TRUE", "UNKNOWN")]
    [InlineData("UNKNOWN", "FALSE", "FALSE")]
    [InlineData("UNKNOWN", "UNKNOWN", "UNKNOWN")]
    public void And_FollowsTruthTable(string left, string right, string expected) =>
        Assert.Equal(expected, Eval($"{Term[left]} AND {Term[right]}"));

    [Theory]
    [InlineData("TRUE", "TRUE", "TRUE")]
    [InlineData("TRUE", "FALSE", "TRUE")]
    [InlineData("TRUE", "UNKNOWN", "TRUE")]
    [InlineData("FALSE", "TRUE", "TRUE")]
    [InlineData("FALSE", "FALSE", "FALSE")]
    [InlineData("FALSE", "UNKNOWN", "UNKNOWN")]
    [InlineData("UNKNOWN", "TRUE", "TRUE")]
    [InlineData("UNKNOWN", "FALSE", "UNKNOWN")]
    [InlineData("UNKNOWN", "UNKNOWN", "UNKNOWN")]
    public void Or_FollowsTruthTable(string left, string right, string expected) =>
        Assert.Equal(expected, Eval($"{Term[left]} OR {Term[right]}"));

    [Theory]
    [InlineData("TRUE", "FALSE")]
    [InlineData("FALSE", "TRUE")]
    [InlineData("UNKNOWN", "UNKNOWN")]
    public void Not_FollowsTruthTable(string operand, string expected) =>
        Assert.Equal(expected, Eval($"NOT {Term[operand]}"));

    [Theory]
    [InlineData("TRUE OR TRUE AND FALSE", "TRUE")]
    [InlineData("(TRUE OR TRUE) AND FALSE", "FALSE")]
    [InlineData("NOT FALSE AND FALSE", "FALSE")]
    [InlineData("NOT (FALSE AND FALSE)", "TRUE")]
    [InlineData("NOT color = 'blue'", "TRUE")]
    [InlineData("NOT NOT color = 'red'", "TRUE")]
    [InlineData("FALSE OR FALSE OR missing = 1 OR TRUE", "TRUE")]
    [InlineData("TRUE AND TRUE AND missing = 1 AND TRUE", "UNKNOWN")]
    public void Precedence_NotBeforeAndBeforeOr(string selector, string expected) =>
        Assert.Equal(expected, Eval(selector));
}
