using Broker.Core.Messages;

namespace Broker.Core.Selectors;

/// <summary>What the parser knows of an expression's type before any message is seen.</summary>
internal enum StaticType : byte
{
    /// <summary>An identifier: its value's type depends on the message.</summary>
    Any,
    Boolean,
    Number,
    String,
}

/// <summary>
/// One node of a parsed selector. <see cref="Evaluate"/> yields a value; <see cref="Test"/> the truth of the node
/// used as a condition. Conditions override <see cref="Test"/> and derive their value from it; values used as a
/// condition (a bare identifier) are TRUE for a boolean or <c>'true'</c>, UNKNOWN for NULL, otherwise FALSE.
/// </summary>
internal abstract class Node
{
    public abstract StaticType Type { get; }

    public abstract Value Evaluate(Message message);

    public virtual Truth Test(Message message)
    {
        var value = Evaluate(message);
        if (value.IsNull)
        {
            return Truth.Unknown;
        }
        return value.TryBoolean(out bool b) && b ? Truth.True : Truth.False;
    }
}

/// <summary>A node whose value is a truth: comparisons, predicates and the logical operators.</summary>
internal abstract class Condition : Node
{
    public sealed override StaticType Type => StaticType.Boolean;

    public sealed override Value Evaluate(Message message) => Value.Of(Test(message));

    public abstract override Truth Test(Message message);
}

internal sealed class Literal(Value value) : Node
{
    public Value Value { get; } = value;

    public override StaticType Type => Value.Kind switch
    {
        ValueKind.Boolean => StaticType.Boolean,
        ValueKind.String => StaticType.String,
        _ => StaticType.Number,
    };

    public override Value Evaluate(Message message) => Value;
}
