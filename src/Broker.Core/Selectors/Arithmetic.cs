using Broker.Core.Messages;

namespace Broker.Core.Selectors;

internal enum ArithmeticOp : byte
{
    Add,
    Subtract,
    Multiply,
    Divide,
    Modulo,
}

/// <summary>
/// <c>+ - * / %</c> over numbers and strings that read as numbers; anything else (NULL, a word, a boolean) makes
/// the result NULL, so the comparison around it is UNKNOWN. Integers stay integers (wrapping like Java's long);
/// <c>/</c> and <c>%</c> always give a double, as in ActiveMQ (<c>7 / 2</c> is 3.5).
/// </summary>
internal sealed class ArithmeticNode(Node left, Node right, ArithmeticOp op) : Node
{
    public override StaticType Type => StaticType.Number;

    public override Value Evaluate(Message message)
    {
        if (!left.Evaluate(message).TryNumber(out var l) || !right.Evaluate(message).TryNumber(out var r))
        {
            return Value.Null;
        }
        if (l.Kind == ValueKind.Long && r.Kind == ValueKind.Long)
        {
            switch (op)
            {
                case ArithmeticOp.Add: return Value.Of(unchecked(l.Long + r.Long));
                case ArithmeticOp.Subtract: return Value.Of(unchecked(l.Long - r.Long));
                case ArithmeticOp.Multiply: return Value.Of(unchecked(l.Long * r.Long));
            }
        }
        double a = l.AsDouble, b = r.AsDouble;
        return Value.Of(op switch
        {
            ArithmeticOp.Add => a + b,
            ArithmeticOp.Subtract => a - b,
            ArithmeticOp.Multiply => a * b,
            ArithmeticOp.Divide => a / b,
            _ => a % b,
        });
    }
}

internal sealed class NegateNode(Node operand) : Node
{
    public override StaticType Type => StaticType.Number;

    public override Value Evaluate(Message message)
    {
        if (!operand.Evaluate(message).TryNumber(out var n))
        {
            return Value.Null;
        }
        return n.Kind == ValueKind.Long ? Value.Of(unchecked(-n.Long)) : Value.Of(-n.Double);
    }
}
