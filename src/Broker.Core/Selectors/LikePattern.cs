namespace Broker.Core.Selectors;

/// <summary>
/// A LIKE pattern compiled once: <c>%</c> any run of characters, <c>_</c> exactly one, everything else (regex
/// metacharacters included) itself. The common shapes (no wildcard, <c>abc%</c>, <c>%abc</c>, <c>%abc%</c>) become
/// an ordinal equals, starts-with, ends-with or contains; the rest runs a backtracking matcher over the compiled
/// elements that allocates nothing.
/// </summary>
internal sealed class LikePattern
{
    private const int AnyOne = -1;
    private const int AnyRun = -2;

    private enum Shape : byte
    {
        Exact,
        Prefix,
        Suffix,
        Contains,
        General,
    }

    private readonly Shape _shape;
    private readonly string _literal;
    private readonly int[] _elements;

    private LikePattern(Shape shape, string literal, int[] elements)
    {
        _shape = shape;
        _literal = literal;
        _elements = elements;
    }

    /// <summary>
    /// Compiles <paramref name="pattern"/>. The escape character makes a following <c>%</c>, <c>_</c> or escape
    /// character literal; before anything else (or at the end) it stands for itself, as in ActiveMQ.
    /// </summary>
    public static LikePattern Compile(string pattern, char? escape)
    {
        var elements = new List<int>(pattern.Length);
        for (int i = 0; i < pattern.Length; i++)
        {
            char c = pattern[i];
            if (c == escape && i + 1 < pattern.Length && (pattern[i + 1] is '%' or '_' || pattern[i + 1] == escape))
            {
                elements.Add(pattern[++i]);
            }
            else if (c == '%')
            {
                if (elements.Count == 0 || elements[^1] != AnyRun)
                {
                    elements.Add(AnyRun);
                }
            }
            else
            {
                elements.Add(c == '_' ? AnyOne : c);
            }
        }
        return Classify(elements.ToArray());
    }

    private static LikePattern Classify(int[] elements)
    {
        int runs = elements.Count(e => e == AnyRun);
        bool anyOne = elements.Contains(AnyOne);
        if (!anyOne)
        {
            bool leading = elements.Length > 0 && elements[0] == AnyRun;
            bool trailing = elements.Length > 1 && elements[^1] == AnyRun;
            string Literal(int from, int to) => new(elements[from..to].Select(e => (char)e).ToArray());
            switch (runs)
            {
                case 0:
                    return new LikePattern(Shape.Exact, Literal(0, elements.Length), elements);
                case 1 when leading:
                    return new LikePattern(Shape.Suffix, Literal(1, elements.Length), elements);
                case 1 when elements[^1] == AnyRun:
                    return new LikePattern(Shape.Prefix, Literal(0, elements.Length - 1), elements);
                case 2 when leading && trailing:
                    return new LikePattern(Shape.Contains, Literal(1, elements.Length - 1), elements);
            }
        }
        return new LikePattern(Shape.General, "", elements);
    }

    public bool Matches(string text) => _shape switch
    {
        Shape.Exact => string.Equals(text, _literal, StringComparison.Ordinal),
        Shape.Prefix => text.StartsWith(_literal, StringComparison.Ordinal),
        Shape.Suffix => text.EndsWith(_literal, StringComparison.Ordinal),
        Shape.Contains => text.Contains(_literal, StringComparison.Ordinal),
        _ => MatchGeneral(text),
    };

    /// <summary>
    /// The classic wildcard walk: on a mismatch, go back to the last <c>%</c> and let it swallow one more
    /// character. Quadratic at worst in pattern times text, never exponential.
    /// </summary>
    private bool MatchGeneral(string text)
    {
        var p = _elements;
        int pi = 0, ti = 0, runAt = -1, runText = 0;
        while (ti < text.Length)
        {
            if (pi < p.Length && p[pi] == AnyRun)
            {
                runAt = pi++;
                runText = ti;
            }
            else if (pi < p.Length && (p[pi] == AnyOne || p[pi] == text[ti]))
            {
                pi++;
                ti++;
            }
            else if (runAt >= 0)
            {
                pi = runAt + 1;
                ti = ++runText;
            }
            else
            {
                return false;
            }
        }
        while (pi < p.Length && p[pi] == AnyRun)
        {
            pi++;
        }
        return pi == p.Length;
    }
}
