using Broker.Core.Selectors;

namespace Broker.Core.Tests.Selectors;

/// <summary>Whatever a client sends, Parse answers a selector or a <see cref="SelectorException"/>, never a crash.</summary>
public sealed class HostileInputTests
{
    public static TheoryData<string> Hostile => new()
    {
        new string('(', 4000),
        new string(')', 4000),
        string.Concat(Enumerable.Repeat("NOT ", 1000)) + "TRUE",
        string.Concat(Enumerable.Repeat("-", 4000)),
        string.Concat(Enumerable.Repeat("- ", 2000)) + "1",
        "a = " + string.Concat(Enumerable.Repeat("1+", 2040)) + "1",
        "a = " + string.Concat(Enumerable.Repeat("-1*", 1360)) + "1",
        string.Concat(Enumerable.Repeat("a = 1 AND ", 400)) + "TRUE",
        string.Concat(Enumerable.Repeat("a = 1 OR ", 400)) + "TRUE",
        "v LIKE '" + string.Concat(Enumerable.Repeat("%a", 2000)) + "'",
        "a IN (" + string.Join(",", Enumerable.Range(0, 700).Select(i => $"'{i}'")) + ")",
        "'" + new string('\'', 3999),
        "\0\u0001\uffff\ud800",
        "a = 99999999999999999999999999999999999999999999999999999999999999999999",
        "a = 1e999999",
        "a = 0x7FFFFFFFFFFFFFFFFF",
        "a = 0777777777777777777777777777",
        "é = 'ü' AND ünïcödé IS NULL",
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public void HostileSelector_ParsesOrThrowsSelectorException(string text)
    {
        MessageSelector selector;
        try
        {
            selector = MessageSelector.Parse(text);
        }
        catch (SelectorException e)
        {
            Assert.InRange(e.Position, 1, text.Length + 1);
            return;
        }
        var message = Selectors.Message(("a", "1"), ("v", new string('a', 2000) + "b"));
        _ = selector.Matches(message);
        _ = selector.Matches(Selectors.Order);
    }

    [Fact]
    public void RandomInput_NeverThrowsAnythingElse()
    {
        const string alphabet = "abc ()'=<>!+-*/%,.0123456789xeEL_$ANDORNOTINLIKEBETWEENISNULLESCAPETRUEFALSE\\\n";
        var random = new Random(1234);
        var message = Selectors.Message(("a", "1"), ("b", "x"));
        for (int n = 0; n < 20_000; n++)
        {
            var chars = new char[random.Next(1, 40)];
            for (int i = 0; i < chars.Length; i++)
            {
                chars[i] = alphabet[random.Next(alphabet.Length)];
            }
            string text = new(chars);
            try
            {
                _ = MessageSelector.Parse(text).Matches(message);
            }
            catch (SelectorException e)
            {
                Assert.InRange(e.Position, 1, text.Length + 1);
            }
        }
    }

    [Fact]
    public void LikeBacktracking_StaysFast()
    {
        var selector = MessageSelector.Parse("v LIKE '" + string.Concat(Enumerable.Repeat("%a", 30)) + "%b'");
        var message = Selectors.Message(("v", new string('a', 3000)));
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Assert.False(selector.Matches(message));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"took {watch.Elapsed}");
    }
}
