namespace Broker.Core.Selectors;

/// <summary>
/// A selector that cannot be parsed. <see cref="Position"/> is the 1-based index of the character where the
/// problem starts (the length plus one when the selector ends too early); the message names it too:
/// <c>selector error at position 12: expected ')'</c>.
/// </summary>
public sealed class SelectorException : Exception
{
    internal SelectorException(int position, string detail)
        : base($"selector error at position {position}: {detail}")
    {
        Position = position;
        Detail = detail;
    }

    public int Position { get; }

    /// <summary>What is wrong, without the position.</summary>
    public string Detail { get; }
}
