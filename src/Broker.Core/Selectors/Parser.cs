namespace Broker.Core.Selectors;

/// <summary>
/// Recursive descent over ActiveMQ's selector grammar, with SQL's precedence, lowest first:
/// <code>
/// selector   := or END
/// or         := and (OR and)*
/// and        := not (AND not)*
/// not        := NOT not | predicate
/// predicate  := sum [ (= | &lt;&gt; | &lt; | &gt; | &lt;= | &gt;=) sum
///                   | [NOT] BETWEEN sum AND sum | [NOT] IN '(' string (',' string)* ')'
///                   | [NOT] LIKE string [ESCAPE string] | IS [NOT] NULL ]
/// sum        := product ((+ | -) product)*
/// product    := unary ((* | / | %) unary)*
/// unary      := (- | +) unary | literal | identifier | '(' or ')'
/// </code>
/// Each parenthesis, NOT and sign counts one level of nesting; past <see cref="MaxDepth"/> the selector is refused,
/// so hostile input cannot exhaust the stack.
/// </summary>
internal sealed class Parser
{
    public const int MaxLength = 4096;
    public const int MaxDepth = 64;

    private readonly List<Token> _tokens;
    private int _next;
    private int _depth;

    private Parser(List<Token> tokens) => _tokens = tokens;

    public static Node Parse(string text)
    {
        if (text.Length > MaxLength)
        {
            throw new SelectorException(MaxLength + 1, $"the selector is longer than {MaxLength} characters");
        }
        var parser = new Parser(Lexer.Tokenize(text));
        if (parser.Peek.Kind == TokenKind.End)
        {
            throw new SelectorException(1, "the selector is empty");
        }
        var root = parser.ParseOr();
        parser.RequireCondition(root, parser._tokens[0]);
        if (parser.Peek.Kind != TokenKind.End)
        {
            throw Error(parser.Peek, $"unexpected {parser.Peek.Describe()}");
        }
        return root;
    }

    private Token Peek => _tokens[_next];

    private Token Take() => _tokens[_next++];

    private bool Accept(TokenKind kind)
    {
        if (Peek.Kind != kind)
        {
            return false;
        }
        _next++;
        return true;
    }

    private Token Expect(TokenKind kind, string what)
    {
        if (Peek.Kind != kind)
        {
            throw Error(Peek, $"expected {what}, found {Peek.Describe()}");
        }
        return Take();
    }

    private static SelectorException Error(Token at, string detail) => new(at.Start + 1, detail);

    private void Enter(Token at)
    {
        if (++_depth > MaxDepth)
        {
            throw Error(at, $"the selector nests deeper than {MaxDepth} levels");
        }
    }

    private Node ParseOr()
    {
        var first = Peek;
        var left = ParseAnd();
        if (Peek.Kind != TokenKind.Or)
        {
            return left;
        }
        RequireCondition(left, first);
        var terms = new List<Node> { left };
        while (Accept(TokenKind.Or))
        {
            var at = Peek;
            terms.Add(RequireCondition(ParseAnd(), at));
        }
        return new OrNode([.. terms]);
    }

    private Node ParseAnd()
    {
        var first = Peek;
        var left = ParseNot();
        if (Peek.Kind != TokenKind.And)
        {
            return left;
        }
        RequireCondition(left, first);
        var terms = new List<Node> { left };
        while (Accept(TokenKind.And))
        {
            var at = Peek;
            terms.Add(RequireCondition(ParseNot(), at));
        }
        return new AndNode([.. terms]);
    }

    private Node ParseNot()
    {
        if (Peek.Kind != TokenKind.Not)
        {
            return ParsePredicate();
        }
        var not = Take();
        Enter(not);
        var at = Peek;
        var operand = RequireCondition(ParseNot(), at);
        _depth--;
        return new NotNode(operand);
    }

    private Node ParsePredicate()
    {
        var leftAt = Peek;
        var left = ParseSum();
        var op = Peek;
        switch (op.Kind)
        {
            case TokenKind.Equal or TokenKind.NotEqual:
                Take();
                return Equality(left, leftAt, op, ParseOperand(out var rightAt), rightAt);
            case TokenKind.Less or TokenKind.Greater or TokenKind.LessOrEqual or TokenKind.GreaterOrEqual:
                Take();
                var right = ParseOperand(out var at);
                RequireOrdered(left, leftAt, op);
                RequireOrdered(right, at, op);
                return new CompareNode(left, right, op.Kind switch
                {
                    TokenKind.Less => CompareOp.Less,
                    TokenKind.Greater => CompareOp.Greater,
                    TokenKind.LessOrEqual => CompareOp.LessOrEqual,
                    _ => CompareOp.GreaterOrEqual,
                });
            case TokenKind.Is:
                Take();
                bool isNot = Accept(TokenKind.Not);
                Expect(TokenKind.Null, isNot ? "NULL after IS NOT" : "NULL or NOT NULL after IS");
                return new IsNullNode(left, isNot);
            case TokenKind.Not:
                Take();
                return Negatable(left, leftAt, negated: true);
            case TokenKind.Between or TokenKind.In or TokenKind.Like:
                return Negatable(left, leftAt, negated: false);
            default:
                return left;
        }
    }

    private Node Negatable(Node left, Token leftAt, bool negated)
    {
        var keyword = Take();
        switch (keyword.Kind)
        {
            case TokenKind.Between:
                RequireOrdered(left, leftAt, keyword);
                var low = ParseOperand(out var lowAt);
                RequireOrdered(low, lowAt, keyword);
                Expect(TokenKind.And, "AND between the bounds of BETWEEN");
                var high = ParseOperand(out var highAt);
                RequireOrdered(high, highAt, keyword);
                return new BetweenNode(left, low, high, negated);
            case TokenKind.In:
                if (left.Type != StaticType.Any)
                {
                    throw Error(leftAt, "IN needs an identifier on its left");
                }
                Expect(TokenKind.LeftParen, "'(' after IN");
                var items = new List<string> { Expect(TokenKind.String, "a string in the IN list").Text };
                while (Accept(TokenKind.Comma))
                {
                    items.Add(Expect(TokenKind.String, "a string after ',' in the IN list").Text);
                }
                Expect(TokenKind.RightParen, "')' or ',' in the IN list");
                return new InNode(left, [.. items], negated);
            case TokenKind.Like:
                string pattern = Expect(TokenKind.String, "a string pattern after LIKE").Text;
                char? escape = null;
                if (Accept(TokenKind.Escape))
                {
                    var escapeToken = Expect(TokenKind.String, "a string after ESCAPE");
                    if (escapeToken.Text.Length != 1)
                    {
                        throw Error(escapeToken, $"ESCAPE must be one character, not {escapeToken.Text.Length}");
                    }
                    escape = escapeToken.Text[0];
                }
                return new LikeNode(left, LikePattern.Compile(pattern, escape), negated);
            default:
                throw Error(keyword, $"expected BETWEEN, IN or LIKE after NOT, found {keyword.Describe()}");
        }
    }

    /// <summary>ActiveMQ refuses to compare TRUE or FALSE with a number or string literal: it can never match.</summary>
    private static CompareNode Equality(Node left, Token leftAt, Token op, Node right, Token rightAt)
    {
        if ((left.Type == StaticType.Boolean && right.Type is StaticType.Number or StaticType.String)
            || (right.Type == StaticType.Boolean && left.Type is StaticType.Number or StaticType.String))
        {
            throw Error(left.Type == StaticType.Boolean ? rightAt : leftAt, $"'{op.Text}' cannot compare a condition with a {(left.Type == StaticType.Boolean ? right.Type : left.Type).ToString().ToLowerInvariant()}");
        }
        return new CompareNode(left, right, op.Kind == TokenKind.Equal ? CompareOp.Equal : CompareOp.NotEqual);
    }

    private Node ParseOperand(out Token at)
    {
        at = Peek;
        return ParseSum();
    }

    private Node ParseSum()
    {
        var leftAt = Peek;
        var left = ParseProduct();
        while (Peek.Kind is TokenKind.Plus or TokenKind.Minus)
        {
            var op = Take();
            var rightAt = Peek;
            var right = ParseProduct();
            RequireNumber(left, leftAt, op);
            RequireNumber(right, rightAt, op);
            left = new ArithmeticNode(left, right, op.Kind == TokenKind.Plus ? ArithmeticOp.Add : ArithmeticOp.Subtract);
        }
        return left;
    }

    private Node ParseProduct()
    {
        var leftAt = Peek;
        var left = ParseUnary();
        while (Peek.Kind is TokenKind.Star or TokenKind.Slash or TokenKind.Percent)
        {
            var op = Take();
            var rightAt = Peek;
            var right = ParseUnary();
            RequireNumber(left, leftAt, op);
            RequireNumber(right, rightAt, op);
            left = new ArithmeticNode(left, right, op.Kind switch
            {
                TokenKind.Star => ArithmeticOp.Multiply,
                TokenKind.Slash => ArithmeticOp.Divide,
                _ => ArithmeticOp.Modulo,
            });
        }
        return left;
    }

    private Node ParseUnary()
    {
        var sign = Peek;
        if (sign.Kind is not (TokenKind.Minus or TokenKind.Plus))
        {
            return ParsePrimary();
        }
        Take();
        Enter(sign);
        var at = Peek;
        var operand = ParseUnary();
        _depth--;
        RequireNumber(operand, at, sign);
        if (sign.Kind == TokenKind.Plus)
        {
            return operand;
        }
        // Fold a negative literal, so -9223372036854775808 is long.MinValue and -5 costs nothing per message.
        if (operand is Literal { Value: var v })
        {
            if (v.Kind == ValueKind.Double && at.Kind == TokenKind.Double && at.Text == "9223372036854775808")
            {
                return new Literal(Value.Of(long.MinValue));
            }
            return new Literal(v.Kind == ValueKind.Long ? Value.Of(unchecked(-v.Long)) : Value.Of(-v.Double));
        }
        return new NegateNode(operand);
    }

    private Node ParsePrimary()
    {
        var token = Take();
        switch (token.Kind)
        {
            case TokenKind.String: return new Literal(Value.Of(token.Text));
            case TokenKind.Long: return new Literal(Value.Of(token.Long));
            case TokenKind.Double: return new Literal(Value.Of(token.Double));
            case TokenKind.True: return new Literal(Value.Of(true));
            case TokenKind.False: return new Literal(Value.Of(false));
            case TokenKind.Identifier: return Identifiers.Resolve(token.Text);
            case TokenKind.LeftParen:
                Enter(token);
                var inner = ParseOr();
                Expect(TokenKind.RightParen, "')'");
                _depth--;
                return inner;
            case TokenKind.End:
                throw Error(token, "expected an operand, found the end");
            case TokenKind.Null:
                throw Error(token, "NULL can only follow IS or IS NOT");
            default:
                throw Error(token, $"expected an operand, found {token.Describe()}");
        }
    }

    private Node RequireCondition(Node node, Token at)
    {
        if (node.Type is StaticType.Number or StaticType.String)
        {
            throw Error(at, $"expected a condition, found a {node.Type.ToString().ToLowerInvariant()}");
        }
        return node;
    }

    private static void RequireOrdered(Node node, Token at, Token op)
    {
        if (node.Type is StaticType.String or StaticType.Boolean)
        {
            throw Error(at, $"'{op.Text}' compares numbers, not a {(node.Type == StaticType.String ? "string literal" : "condition")}");
        }
    }

    private static void RequireNumber(Node node, Token at, Token op)
    {
        if (node.Type is StaticType.String or StaticType.Boolean)
        {
            throw Error(at, $"'{op.Text}' needs numbers, not a {(node.Type == StaticType.String ? "string literal" : "condition")}");
        }
    }
}
