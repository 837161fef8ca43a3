using System.Globalization;
using System.Text;

namespace Broker.Core.Selectors;

internal enum TokenKind : byte
{
    End,
    Identifier,
    String,
    Long,
    Double,
    // Keywords (any case).
    Not,
    And,
    Or,
    Between,
    Like,
    Escape,
    In,
    Is,
    True,
    False,
    Null,
    // Punctuation.
    Equal,
    NotEqual,
    Less,
    Greater,
    LessOrEqual,
    GreaterOrEqual,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    LeftParen,
    RightParen,
    Comma,
}

/// <summary>A token and where it starts (0-based); <see cref="Text"/> is an identifier's name or a string's value.</summary>
internal readonly record struct Token(TokenKind Kind, int Start, string Text = "", long Long = 0, double Double = 0)
{
    public string Describe() => Kind switch
    {
        TokenKind.End => "the end",
        TokenKind.Identifier => $"identifier '{Text}'",
        TokenKind.String => "a string",
        TokenKind.Long or TokenKind.Double => "a number",
        _ => $"'{Text}'",
    };
}

/// <summary>
/// Splits a selector into tokens, ActiveMQ's lexical rules: keywords in any case; identifiers a letter, <c>_</c>
/// or <c>$</c> then letters, digits, <c>_</c>, <c>$</c> (case kept); <c>'it''s'</c> strings; decimal integers
/// (an optional <c>L</c>), <c>0x</c> hexadecimal, <c>0</c>-prefixed octal; decimals <c>5.</c>, <c>.5</c>,
/// <c>5.5E-3</c>; <c>--</c> and <c>/* */</c> comments.
/// </summary>
internal static class Lexer
{
    public static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        int i = 0;
        while (true)
        {
            i = SkipSpaceAndComments(text, i);
            if (i >= text.Length)
            {
                tokens.Add(new Token(TokenKind.End, text.Length));
                return tokens;
            }
            char c = text[i];
            int start = i;
            if (char.IsLetter(c) || c is '_' or '$')
            {
                while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] is '_' or '$'))
                {
                    i++;
                }
                string word = text[start..i];
                tokens.Add(new Token(Keyword(word), start, word));
            }
            else if (char.IsAsciiDigit(c) || (c == '.' && i + 1 < text.Length && char.IsAsciiDigit(text[i + 1])))
            {
                tokens.Add(Number(text, ref i));
            }
            else if (c == '\'')
            {
                tokens.Add(StringLiteral(text, ref i));
            }
            else
            {
                tokens.Add(Punctuation(text, ref i));
            }
        }
    }

    private static int SkipSpaceAndComments(string text, int i)
    {
        while (i < text.Length)
        {
            if (char.IsWhiteSpace(text[i]))
            {
                i++;
            }
            else if (text.AsSpan(i).StartsWith("--"))
            {
                int end = text.IndexOfAny(['\n', '\r'], i);
                i = end < 0 ? text.Length : end;
            }
            else if (text.AsSpan(i).StartsWith("/*"))
            {
                int end = text.IndexOf("*/", i + 2, StringComparison.Ordinal);
                if (end < 0)
                {
                    throw new SelectorException(i + 1, "unterminated comment");
                }
                i = end + 2;
            }
            else
            {
                break;
            }
        }
        return i;
    }

    private static TokenKind Keyword(string word) => word.ToUpperInvariant() switch
    {
        "NOT" => TokenKind.Not,
        "AND" => TokenKind.And,
        "OR" => TokenKind.Or,
        "BETWEEN" => TokenKind.Between,
        "LIKE" => TokenKind.Like,
        "ESCAPE" => TokenKind.Escape,
        "IN" => TokenKind.In,
        "IS" => TokenKind.Is,
        "TRUE" => TokenKind.True,
        "FALSE" => TokenKind.False,
        "NULL" => TokenKind.Null,
        _ => TokenKind.Identifier,
    };

    private static Token StringLiteral(string text, ref int i)
    {
        int start = i++;
        var value = new StringBuilder();
        while (true)
        {
            if (i >= text.Length)
            {
                throw new SelectorException(start + 1, "unterminated string");
            }
            if (text[i] == '\'')
            {
                if (i + 1 < text.Length && text[i + 1] == '\'')
                {
                    value.Append('\'');
                    i += 2;
                    continue;
                }
                i++;
                return new Token(TokenKind.String, start, value.ToString());
            }
            value.Append(text[i++]);
        }
    }

    private static Token Number(string text, ref int i)
    {
        int start = i;
        if (text[i] == '0' && i + 1 < text.Length && text[i + 1] is 'x' or 'X')
        {
            i += 2;
            while (i < text.Length && char.IsAsciiHexDigit(text[i]))
            {
                i++;
            }
            var digits = text.AsSpan(start + 2, i - start - 2);
            if (digits.IsEmpty || !long.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out long hex))
            {
                throw new SelectorException(start + 1, $"invalid hexadecimal number '{text[start..i]}'");
            }
            EndOfNumber(text, start, i);
            return new Token(TokenKind.Long, start, text[start..i], Long: hex);
        }
        while (i < text.Length && char.IsAsciiDigit(text[i]))
        {
            i++;
        }
        bool isDecimal = false;
        if (i < text.Length && text[i] == '.')
        {
            isDecimal = true;
            i++;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
            }
        }
        if (i < text.Length && text[i] is 'e' or 'E')
        {
            int mark = i++;
            if (i < text.Length && text[i] is '+' or '-')
            {
                i++;
            }
            if (i >= text.Length || !char.IsAsciiDigit(text[i]))
            {
                throw new SelectorException(mark + 1, $"invalid exponent in '{text[start..i]}'");
            }
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
            }
            isDecimal = true;
        }
        string image = text[start..i];
        if (isDecimal)
        {
            EndOfNumber(text, start, i);
            return new Token(TokenKind.Double, start, image, Double: double.Parse(image, NumberStyles.Float, CultureInfo.InvariantCulture));
        }
        if (i < text.Length && text[i] is 'l' or 'L')
        {
            i++;
        }
        EndOfNumber(text, start, i);
        if (image.Length > 1 && image[0] == '0')
        {
            long octal = 0;
            foreach (char d in image)
            {
                if (d > '7' || octal > long.MaxValue >> 3)
                {
                    throw new SelectorException(start + 1, $"invalid octal number '{image}'");
                }
                octal = (octal << 3) | (long)(d - '0');
            }
            return new Token(TokenKind.Long, start, image, Long: octal);
        }
        // Beyond a long (9223372036854775808, which only its minus sign brings back in range): read as a double.
        return long.TryParse(image, NumberStyles.None, CultureInfo.InvariantCulture, out long value)
            ? new Token(TokenKind.Long, start, image, Long: value)
            : new Token(TokenKind.Double, start, image, Double: double.Parse(image, CultureInfo.InvariantCulture));
    }

    /// <summary>A number runs into no letter or digit: <c>12abc</c> is an error, not 12 then <c>abc</c>.</summary>
    private static void EndOfNumber(string text, int start, int end)
    {
        if (end < text.Length && (char.IsLetterOrDigit(text[end]) || text[end] is '_' or '$' or '.'))
        {
            throw new SelectorException(start + 1, $"invalid number '{text[start..(end + 1)]}'");
        }
    }

    private static Token Punctuation(string text, ref int i)
    {
        int start = i;
        char c = text[i++];
        char next = i < text.Length ? text[i] : '\0';
        TokenKind kind;
        switch (c)
        {
            case '=': kind = TokenKind.Equal; break;
            case '<' when next == '>': kind = TokenKind.NotEqual; i++; break;
            case '<' when next == '=': kind = TokenKind.LessOrEqual; i++; break;
            case '<': kind = TokenKind.Less; break;
            case '>' when next == '=': kind = TokenKind.GreaterOrEqual; i++; break;
            case '>': kind = TokenKind.Greater; break;
            case '+': kind = TokenKind.Plus; break;
            case '-': kind = TokenKind.Minus; break;
            case '*': kind = TokenKind.Star; break;
            case '/': kind = TokenKind.Slash; break;
            case '%': kind = TokenKind.Percent; break;
            case '(': kind = TokenKind.LeftParen; break;
            case ')': kind = TokenKind.RightParen; break;
            case ',': kind = TokenKind.Comma; break;
            default:
                string shown = char.IsControl(c) ? $"U+{(int)c:X4}" : c.ToString();
                throw new SelectorException(start + 1, $"unknown token '{shown}'");
        }
        return new Token(kind, start, text[start..i]);
    }
}
