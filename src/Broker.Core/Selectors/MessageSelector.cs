using Broker.Core.Messages;

namespace Broker.Core.Selectors;

/// <summary>
/// A JMS message selector (the <c>selector</c> header of SUBSCRIBE): ActiveMQ 5's SQL-92 subset, parsed once,
/// then matched against each message without allocating. SQL's three-valued logic: a missing header is NULL, a
/// comparison with NULL is UNKNOWN, and only TRUE selects. Immutable once parsed: one instance can be matched
/// from many threads at once.
/// </summary>
/// <remarks>
/// STOMP headers are strings, and users write <c>price &gt; 100</c>. ActiveMQ's STOMP transport parses every
/// selector with its <c>convert_string_expressions:</c> prefix, so a string compared with a number is converted
/// to the number's type. We do the same, in comparisons, BETWEEN and arithmetic, with one deliberate difference:
/// the string is read as whatever number it spells (<c>"100.5" &gt; 100</c> is TRUE; ActiveMQ reads it as the
/// literal's integer type, fails, and answers FALSE), and arithmetic converts numeric strings (ActiveMQ refuses
/// them, or concatenates with <c>+</c>). <c>docs/selectors.md</c> lists this and the other differences.
/// </remarks>
public sealed class MessageSelector
{
    private readonly Node _root;

    private MessageSelector(string text, Node root)
    {
        Text = text;
        _root = root;
    }

    /// <summary>Parses <paramref name="text"/>; a <see cref="SelectorException"/> names what is wrong and where.</summary>
    public static MessageSelector Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new MessageSelector(text, Parser.Parse(text));
    }

    /// <summary>The selector as the client wrote it.</summary>
    public string Text { get; }

    /// <summary>True when the selector is TRUE for <paramref name="message"/>; FALSE and UNKNOWN do not match.</summary>
    public bool Matches(Message message) => _root.Test(message) == Truth.True;

    internal Truth Evaluate(Message message) => _root.Test(message);

    public override string ToString() => Text;
}
