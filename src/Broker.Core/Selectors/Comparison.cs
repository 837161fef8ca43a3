namespace Broker.Core.Selectors;

internal enum CompareOp : byte
{
    Equal,
    NotEqual,
    Less,
    Greater,
    LessOrEqual,
    GreaterOrEqual,
}

/// <summary>
/// How two values compare, as ActiveMQ 5 compares them for STOMP subscribers: NULL on either side is UNKNOWN;
/// numbers compare numerically, and a string against a number compares as the number it reads as (ActiveMQ's
/// <c>convert_string_expressions</c>); a string against a boolean as <c>'true'</c>/<c>'false'</c>; two strings
/// ordinally. Operands that cannot be brought to one type compare FALSE (so <c>&lt;&gt;</c> is TRUE), as in
/// ActiveMQ, where the failed conversion answers FALSE rather than UNKNOWN.
/// </summary>
internal static class Comparison
{
    public static Truth Compare(in Value left, in Value right, CompareOp op)
    {
        if (left.IsNull || right.IsNull)
        {
            return Truth.Unknown;
        }
        if (op == CompareOp.NotEqual)
        {
            return Logic.Not(Compare(left, right, CompareOp.Equal));
        }
        if (!TryOrder(left, right, op == CompareOp.Equal, out int order))
        {
            return Truth.False;
        }
        bool result = op switch
        {
            CompareOp.Equal => order == 0,
            CompareOp.Less => order < 0,
            CompareOp.Greater => order > 0,
            CompareOp.LessOrEqual => order <= 0,
            _ => order >= 0,
        };
        return result ? Truth.True : Truth.False;
    }

    private static bool TryOrder(in Value left, in Value right, bool equality, out int order)
    {
        order = 0;
        if (left.Kind == ValueKind.String && right.Kind == ValueKind.String)
        {
            order = equality
                ? (string.Equals(left.Text, right.Text, StringComparison.Ordinal) ? 0 : 1)
                : string.CompareOrdinal(left.Text, right.Text);
            return true;
        }
        if (left.IsNumber || right.IsNumber)
        {
            if (!left.TryNumber(out var l) || !right.TryNumber(out var r))
            {
                return false;
            }
            order = l.Kind == ValueKind.Long && r.Kind == ValueKind.Long
                ? l.Long.CompareTo(r.Long)
                : l.AsDouble.CompareTo(r.AsDouble);
            return true;
        }
        // Booleans have no order: the parser refuses TRUE and FALSE beside <, >, <= and >=.
        if (equality && left.TryBoolean(out bool lb) && right.TryBoolean(out bool rb))
        {
            order = lb == rb ? 0 : 1;
            return true;
        }
        return false;
    }
}

internal static class Logic
{
    public static Truth Not(Truth truth) => truth switch
    {
        Truth.True => Truth.False,
        Truth.False => Truth.True,
        _ => Truth.Unknown,
    };

    public static Truth And(Truth left, Truth right) =>
        left == Truth.False || right == Truth.False ? Truth.False
        : left == Truth.True && right == Truth.True ? Truth.True
        : Truth.Unknown;

    public static Truth Or(Truth left, Truth right) =>
        left == Truth.True || right == Truth.True ? Truth.True
        : left == Truth.False && right == Truth.False ? Truth.False
        : Truth.Unknown;
}
