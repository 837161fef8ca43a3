using System.Diagnostics.CodeAnalysis;

namespace Broker.Core.Messages;

/// <summary>
/// A wildcard destination name, ActiveMQ's syntax: <c>.</c> separates elements, <c>*</c> stands for exactly one
/// element, <c>&gt;</c> (last only) for all that follow, none included: <c>PRICE.STOCK.&gt;</c> matches
/// <c>PRICE.STOCK.NYSE.IBM</c> and <c>PRICE.STOCK</c> itself (as ActiveMQ 5.17 does), not <c>PRICE.STOCKS</c>;
/// <c>orders.*</c> matches <c>orders.eu</c> but neither <c>orders</c> nor <c>orders.eu.paris</c>.
/// </summary>
public sealed class DestinationPattern
{
    private const string AnyOne = "*";
    private const string AnyRest = ">";
    private readonly string[] _elements;
    private readonly bool _rest;

    private DestinationPattern(DestinationName name, string[] elements)
    {
        Name = name;
        _rest = elements[^1] == AnyRest;
        _elements = _rest ? elements[..^1] : elements;
        // Every name the pattern matches starts with its literal elements, and with the dot after them when a '*' follows
        // (it needs an element); '>' may match nothing, so PRICE.> guarantees only "PRICE".
        var anyOne = Array.FindIndex(_elements, e => e == AnyOne);
        LiteralPrefix = anyOne < 0 ? string.Join('.', _elements)
            : anyOne == 0 ? ""
            : string.Join('.', _elements[..anyOne]) + ".";
    }

    /// <summary>The pattern as a destination (<c>/topic/PRICE.&gt;</c>).</summary>
    public DestinationName Name { get; }

    public DestinationKind Kind => Name.Kind;

    /// <summary>What every matching name starts with: the elements before the first wildcard, each with its dot.</summary>
    public string LiteralPrefix { get; }

    /// <summary>Whether <paramref name="name"/> holds a wildcard character (valid or not).</summary>
    public static bool IsWildcard(string name) => name.AsSpan().IndexOfAny('*', '>') >= 0;

    /// <summary>The pattern a destination names, or null when its name holds no wildcard.</summary>
    public static DestinationPattern? Of(DestinationName name) =>
        IsWildcard(name.Name) && TryParse(name, out var pattern, out _) ? pattern : null;

    /// <summary>Checks a wildcard name: <c>*</c> and <c>&gt;</c> only as whole elements, <c>&gt;</c> only last.</summary>
    public static bool TryParse(DestinationName name, [NotNullWhen(true)] out DestinationPattern? pattern, [NotNullWhen(false)] out string? error)
    {
        pattern = null;
        var elements = name.Name.Split('.');
        for (var i = 0; i < elements.Length; i++)
        {
            var element = elements[i];
            if (element != AnyOne && element != AnyRest && IsWildcard(element))
            {
                error = $"wildcard '{name}': '*' and '>' must stand alone between dots (element '{element}')";
                return false;
            }
            if (element == AnyRest && i != elements.Length - 1)
            {
                error = $"wildcard '{name}': '>' must be the last element";
                return false;
            }
        }
        error = null;
        pattern = new DestinationPattern(name, elements);
        return true;
    }

    /// <summary>Whether a destination of the pattern's kind named <paramref name="name"/> matches.</summary>
    public bool Matches(string name)
    {
        // start: where the name's next element begins; name.Length + 1 once the name has no element left.
        var start = 0;
        foreach (var element in _elements)
        {
            if (start > name.Length)
            {
                return false;
            }
            var dot = name.IndexOf('.', start);
            var end = dot < 0 ? name.Length : dot;
            if (element != AnyOne && !name.AsSpan(start, end - start).SequenceEqual(element))
            {
                return false;
            }
            start = end + 1;
        }
        // '>' takes whatever is left, nothing included; without it, nothing may be left.
        return _rest || start == name.Length + 1;
    }

    public bool Matches(DestinationName name) => name.Kind == Kind && Matches(name.Name);

    public override string ToString() => Name.ToString();
}
