using System.Globalization;

namespace Broker.Core.Selectors;

internal enum ValueKind : byte
{
    Null,
    Boolean,
    Long,
    Double,
    String,
}

/// <summary>SQL's three truth values; only <see cref="True"/> selects a message.</summary>
internal enum Truth : byte
{
    False,
    True,
    Unknown,
}

/// <summary>
/// What an expression yields for one message, without boxing: a kind, 64 bits (a long, a double's bits or a
/// boolean) and a string reference (a header's value or a literal; never a new string).
/// </summary>
internal readonly struct Value
{
    private readonly long _bits;

    private Value(ValueKind kind, long bits, string? text)
    {
        Kind = kind;
        _bits = bits;
        Text = text;
    }

    public static Value Null => default;

    public ValueKind Kind { get; }

    public string? Text { get; }

    public bool IsNull => Kind == ValueKind.Null;

    public long Long => _bits;

    public double Double => BitConverter.Int64BitsToDouble(_bits);

    public bool Boolean => _bits != 0;

    public static Value Of(long value) => new(ValueKind.Long, value, null);

    public static Value Of(double value) => new(ValueKind.Double, BitConverter.DoubleToInt64Bits(value), null);

    public static Value Of(bool value) => new(ValueKind.Boolean, value ? 1 : 0, null);

    public static Value Of(string? value) => value is null ? Null : new(ValueKind.String, 0, value);

    public static Value Of(Truth truth) => truth == Truth.Unknown ? Null : Of(truth == Truth.True);

    public bool IsNumber => Kind is ValueKind.Long or ValueKind.Double;

    public double AsDouble => Kind == ValueKind.Long ? _bits : Double;

    /// <summary>
    /// This value as a number: itself when it is one, a string that reads as one (<c>"150"</c>, <c>"-2.5e3"</c>;
    /// STOMP headers are strings), otherwise false.
    /// </summary>
    public bool TryNumber(out Value number)
    {
        if (IsNumber)
        {
            number = this;
            return true;
        }
        if (Kind == ValueKind.String && TryParseNumber(Text!, out number))
        {
            return true;
        }
        number = Null;
        return false;
    }

    private static bool TryParseNumber(string text, out Value number)
    {
        number = Null;
        // double.TryParse also reads "NaN" and "Infinity"; a header number starts with a sign, a digit or a point.
        if (text.Length == 0 || !(char.IsAsciiDigit(text[0]) || text[0] is '-' or '+' or '.'))
        {
            return false;
        }
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l))
        {
            number = Of(l);
            return true;
        }
        const NumberStyles Decimal = NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent;
        if (double.TryParse(text, Decimal, CultureInfo.InvariantCulture, out double d))
        {
            number = Of(d);
            return true;
        }
        return false;
    }

    /// <summary>A boolean, or a string that says <c>true</c> or <c>false</c> (any case).</summary>
    public bool TryBoolean(out bool value)
    {
        if (Kind == ValueKind.Boolean)
        {
            value = Boolean;
            return true;
        }
        if (Kind == ValueKind.String)
        {
            if (string.Equals(Text, "true", StringComparison.OrdinalIgnoreCase))
            {
                value = true;
                return true;
            }
            if (string.Equals(Text, "false", StringComparison.OrdinalIgnoreCase))
            {
                value = false;
                return true;
            }
        }
        value = false;
        return false;
    }

    public override string ToString() => Kind switch
    {
        ValueKind.Null => "NULL",
        ValueKind.Boolean => Boolean ? "TRUE" : "FALSE",
        ValueKind.Long => Long.ToString(CultureInfo.InvariantCulture),
        ValueKind.Double => Double.ToString("R", CultureInfo.InvariantCulture),
        _ => "'" + Text!.Replace("'", "''", StringComparison.Ordinal) + "'",
    };
}
