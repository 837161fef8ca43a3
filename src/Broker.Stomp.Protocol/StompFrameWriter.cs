using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace Broker.Stomp.Protocol;

/// <summary>
/// Serialises frames for a connection speaking a given version: headers are escaped as that version requires
/// (1.0 and the CONNECT/STOMP/CONNECTED handshake frames are never escaped) and a <c>content-length</c> header is
/// added to non-empty bodies that lack one, so bodies containing NUL bytes survive.
/// </summary>
/// <remarks>
/// A header character the target cannot carry (a NUL in any version, a line feed in a 1.0 value, a colon in an
/// unescaped name, ...) would let one peer end the frame early and inject headers or frames into another's
/// stream. By default it is replaced by U+FFFD, so no caller that echoes client text can forget to clean it;
/// <see cref="UnrepresentableHeaders.Throw"/> refuses the frame instead.
/// </remarks>
public static class StompFrameWriter
{
    // What a header part cannot hold as is: escaped where the version has an escape for it, replaced otherwise.
    private static readonly SearchValues<char> Special12 = SearchValues.Create("\\\n:\r\0");
    private static readonly SearchValues<char> Special11 = SearchValues.Create("\\\n:\0");
    private static readonly SearchValues<char> UnescapedValue = SearchValues.Create("\n\r\0");
    private static readonly SearchValues<char> UnescapedName = SearchValues.Create("\n\r\0:");
    private static readonly byte[] ContentLengthPrefix = "content-length:"u8.ToArray();
    private static readonly byte[] ReplacementUtf8 = "\uFFFD"u8.ToArray();

    public static void Write(IBufferWriter<byte> output, StompFrame frame, StompVersion version,
        UnrepresentableHeaders unrepresentable = UnrepresentableHeaders.Replace)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(frame);

        var command = frame.Command;
        if (string.IsNullOrEmpty(command) || command.AsSpan().ContainsAnyExceptInRange('A', 'Z'))
        {
            throw new ArgumentException($"invalid STOMP command '{command}'", nameof(frame));
        }
        bool escaped = version != StompVersion.V1_0 && command is not ("CONNECT" or "STOMP" or "CONNECTED");
        // Checked before anything is written, so a refused frame leaves no half of itself in the output.
        CheckHeaders(frame, version, escaped, unrepresentable);

        WriteAscii(output, command);
        WriteByte(output, (byte)'\n');
        bool hasContentLength = false;
        foreach (var (name, value) in frame.Headers)
        {
            hasContentLength |= name == "content-length";
            WriteHeaderPart(output, name, version, escaped, isName: true);
            WriteByte(output, (byte)':');
            WriteHeaderPart(output, value ?? string.Empty, version, escaped, isName: false);
            WriteByte(output, (byte)'\n');
        }

        var body = frame.Body.Span;
        if (!body.IsEmpty && !hasContentLength)
        {
            output.Write(ContentLengthPrefix);
            var span = output.GetSpan(11);
            Utf8Formatter.TryFormat(body.Length, span, out int written);
            span[written] = (byte)'\n';
            output.Advance(written + 1);
        }
        WriteByte(output, (byte)'\n');
        output.Write(body);
        WriteByte(output, 0);
    }

    public static byte[] ToArray(StompFrame frame, StompVersion version, UnrepresentableHeaders unrepresentable = UnrepresentableHeaders.Replace)
    {
        var buffer = new ArrayBufferWriter<byte>(256 + frame.Body.Length);
        Write(buffer, frame, version, unrepresentable);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Whether a header of an escaped frame (MESSAGE, RECEIPT, ERROR) survives the trip in <paramref name="version"/>
    /// unchanged; a relayed header that would not is dropped rather than altered.
    /// </summary>
    public static bool CanCarry(string name, string value, StompVersion version)
    {
        var escaped = version != StompVersion.V1_0;
        return !string.IsNullOrEmpty(name)
            && Unrepresentable(name, version, escaped, isName: true) is null
            && Unrepresentable(value, version, escaped, isName: false) is null;
    }

    private static void CheckHeaders(StompFrame frame, StompVersion version, bool escaped, UnrepresentableHeaders unrepresentable)
    {
        bool hasContentLength = false;
        foreach (var (name, value) in frame.Headers)
        {
            if (string.IsNullOrEmpty(name))
            {
                throw new ArgumentException("header with an empty name", nameof(frame));
            }
            if (name == "content-length" && !hasContentLength)
            {
                hasContentLength = true;
                if (value != frame.Body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture))
                {
                    throw new ArgumentException($"content-length '{value}' does not match the {frame.Body.Length}-byte body", nameof(frame));
                }
            }
            if (unrepresentable == UnrepresentableHeaders.Throw
                && (Unrepresentable(name, version, escaped, isName: true) ?? Unrepresentable(value ?? "", version, escaped, isName: false)) is { } reason)
            {
                throw new ArgumentException(reason, nameof(frame));
            }
        }
    }

    private static void WriteHeaderPart(IBufferWriter<byte> output, string text, StompVersion version, bool escaped, bool isName)
    {
        var rest = text.AsSpan();
        // 1.1 has no escape for a carriage return; in the middle of a value it is plain data, but at its end it
        // would read back as half of a CRLF line end.
        bool trailingCr = escaped && version == StompVersion.V1_1 && !isName && rest.EndsWith('\r');
        if (trailingCr)
        {
            rest = rest[..^1];
        }
        var special = !escaped ? (isName ? UnescapedName : UnescapedValue)
            : version == StompVersion.V1_2 ? Special12 : Special11;
        while (true)
        {
            int i = rest.IndexOfAny(special);
            if (i < 0)
            {
                WriteUtf8(output, rest);
                break;
            }
            WriteUtf8(output, rest[..i]);
            if (escaped && rest[i] != '\0')
            {
                var escape = output.GetSpan(2);
                escape[0] = (byte)'\\';
                escape[1] = rest[i] switch
                {
                    '\\' => (byte)'\\',
                    '\n' => (byte)'n',
                    ':' => (byte)'c',
                    _ => (byte)'r',
                };
                output.Advance(2);
            }
            else
            {
                output.Write(ReplacementUtf8);
            }
            rest = rest[(i + 1)..];
        }
        if (trailingCr)
        {
            output.Write(ReplacementUtf8);
        }
    }

    /// <summary>Why the other side's parser would read <paramref name="text"/> back differently (or split the frame); null when it would not.</summary>
    private static string? Unrepresentable(ReadOnlySpan<char> text, StompVersion version, bool escaped, bool isName)
    {
        string what = isName ? "header name" : "header value";
        if (text.Contains('\0'))
        {
            return $"{what} contains a NUL, which ends a STOMP frame";
        }
        if (!escaped && text.Contains('\n'))
        {
            return $"{what} contains a line feed, which STOMP {version.ToWire()} cannot carry in this frame";
        }
        if (!escaped && text.Contains('\r'))
        {
            return $"{what} contains a carriage return, which STOMP {version.ToWire()} cannot carry in this frame";
        }
        if (!escaped && isName && text.Contains(':'))
        {
            return $"header name contains ':', which STOMP {version.ToWire()} cannot carry in this frame";
        }
        if (escaped && version == StompVersion.V1_1 && !isName && text.EndsWith('\r'))
        {
            return "header value ends with a carriage return, which STOMP 1.1 cannot carry";
        }
        return null;
    }

    private static void WriteUtf8(IBufferWriter<byte> output, ReadOnlySpan<char> text)
    {
        if (text.IsEmpty)
        {
            return;
        }
        // Exact count rather than the 3x worst case, so a long value does not ask the writer for a huge span.
        int count = Encoding.UTF8.GetByteCount(text);
        int written = Encoding.UTF8.GetBytes(text, output.GetSpan(count));
        output.Advance(written);
    }

    private static void WriteAscii(IBufferWriter<byte> output, string text)
    {
        var span = output.GetSpan(text.Length);
        int written = Encoding.ASCII.GetBytes(text, span);
        output.Advance(written);
    }

    private static void WriteByte(IBufferWriter<byte> output, byte value)
    {
        output.GetSpan(1)[0] = value;
        output.Advance(1);
    }
}
