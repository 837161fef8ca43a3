using Broker.Core.Messages;

namespace Broker.Core.Selectors;

/// <summary><c>a AND b AND c</c> as one node: a chain stays shallow, and the first FALSE ends it.</summary>
internal sealed class AndNode(Node[] terms) : Condition
{
    public override Truth Test(Message message)
    {
        var result = Truth.True;
        foreach (var term in terms)
        {
            var truth = term.Test(message);
            if (truth == Truth.False)
            {
                return Truth.False;
            }
            if (truth == Truth.Unknown)
            {
                result = Truth.Unknown;
            }
        }
        return result;
    }
}

/// <summary><c>a OR b OR c</c> as one node; the first TRUE ends it.</summary>
internal sealed class OrNode(Node[] terms) : Condition
{
    public override Truth Test(Message message)
    {
        var result = Truth.False;
        foreach (var term in terms)
        {
            var truth = term.Test(message);
            if (truth == Truth.True)
            {
                return Truth.True;
            }
            if (truth == Truth.Unknown)
            {
                result = Truth.Unknown;
            }
        }
        return result;
    }
}

internal sealed class NotNode(Node operand) : Condition
{
    public override Truth Test(Message message) => Logic.Not(operand.Test(message));
}

internal sealed class CompareNode(Node left, Node right, CompareOp op) : Condition
{
    public override Truth Test(Message message) =>
        Comparison.Compare(left.Evaluate(message), right.Evaluate(message), op);
}

/// <summary>
/// <c>x BETWEEN a AND b</c> is <c>x &gt;= a AND x &lt;= b</c>; <c>x NOT BETWEEN a AND b</c> is
/// <c>x &lt; a OR x &gt; b</c> (ActiveMQ's definitions), with <c>x</c> evaluated once.
/// </summary>
internal sealed class BetweenNode(Node value, Node low, Node high, bool negated) : Condition
{
    public override Truth Test(Message message)
    {
        var x = value.Evaluate(message);
        var lo = low.Evaluate(message);
        var hi = high.Evaluate(message);
        return negated
            ? Logic.Or(Comparison.Compare(x, lo, CompareOp.Less), Comparison.Compare(x, hi, CompareOp.Greater))
            : Logic.And(Comparison.Compare(x, lo, CompareOp.GreaterOrEqual), Comparison.Compare(x, hi, CompareOp.LessOrEqual));
    }
}

/// <summary>
/// <c>x [NOT] IN ('a', 'b')</c>: UNKNOWN when <c>x</c> is NULL or not a string (as in ActiveMQ); a short list is
/// scanned, a long one is a hash set.
/// </summary>
internal sealed class InNode : Condition
{
    private const int ScanUpTo = 8;

    private readonly Node _value;
    private readonly string[] _items;
    private readonly HashSet<string>? _set;
    private readonly bool _negated;

    public InNode(Node value, string[] items, bool negated)
    {
        _value = value;
        _items = items;
        _set = items.Length > ScanUpTo ? new HashSet<string>(items, StringComparer.Ordinal) : null;
        _negated = negated;
    }

    public override Truth Test(Message message)
    {
        var x = _value.Evaluate(message);
        if (x.Kind != ValueKind.String)
        {
            return Truth.Unknown;
        }
        return Contains(x.Text!) != _negated ? Truth.True : Truth.False;
    }

    private bool Contains(string text)
    {
        if (_set is not null)
        {
            return _set.Contains(text);
        }
        foreach (var item in _items)
        {
            if (string.Equals(item, text, StringComparison.Ordinal))
            {
                return true;
            }
        }
        return false;
    }
}

/// <summary><c>x [NOT] LIKE 'pattern'</c>: UNKNOWN for NULL, FALSE (before NOT) for a value that is not a string.</summary>
internal sealed class LikeNode(Node value, LikePattern pattern, bool negated) : Condition
{
    public override Truth Test(Message message)
    {
        var x = value.Evaluate(message);
        if (x.IsNull)
        {
            return Truth.Unknown;
        }
        bool matches = x.Kind == ValueKind.String && pattern.Matches(x.Text!);
        return matches != negated ? Truth.True : Truth.False;
    }
}

internal sealed class IsNullNode(Node value, bool negated) : Condition
{
    public override Truth Test(Message message) =>
        value.Evaluate(message).IsNull != negated ? Truth.True : Truth.False;
}
