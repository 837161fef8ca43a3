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
/// A header that the target version cannot carry (a line feed in a 1.0 value, a colon in an unescaped name, ...)
/// throws <see cref="ArgumentException"/> rather than being written: it would let one peer inject headers or
/// frames into another's stream.
/// </remarks>
public static class StompFrameWriter
{
    private static readonly SearchValues<char> Special12 = SearchValues.Create("\\\n:\r");
    private static readonly SearchValues<char> Special11 = SearchValues.Create("\\\n:");
    private static readonly byte[] ContentLengthPrefix = "content-length:"u8.ToArray();

    public static void Write(IBufferWriter<byte> output, StompFrame frame, StompVersion version)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(frame);

        var command = frame.Command;
        if (string.IsNullOrEmpty(command) || command.AsSpan().ContainsAnyExceptInRange('A', 'Z'))
        {
            throw new ArgumentException($"invalid STOMP command '{command}'", nameof(frame));
        }
        WriteAscii(output, command);
        WriteByte(output, (byte)'\n');

        bool escaped = version != StompVersion.V1_0 && command is not ("CONNECT" or "STOMP" or "CONNECTED");
        bool hasContentLength = false;
        foreach (var (name, value) in frame.Headers)
        {
            if (name == "content-length" && !hasContentLength)
            {
                hasContentLength = true;
                if (value != frame.Body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture))
                {
                    throw new ArgumentException($"content-length '{value}' does not match the {frame.Body.Length}-byte body", nameof(frame));
                }
            }
            if (string.IsNullOrEmpty(name))
            {
                throw new ArgumentException("header with an empty name", nameof(frame));
            }
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

    public static byte[] ToArray(StompFrame frame, StompVersion version)
    {
        var buffer = new ArrayBufferWriter<byte>(256 + frame.Body.Length);
        Write(buffer, frame, version);
        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteHeaderPart(IBufferWriter<byte> output, string text, StompVersion version, bool escaped, bool isName)
    {
        var rest = text.AsSpan();
        if (!escaped || version == StompVersion.V1_1)
        {
            ThrowIfUnrepresentable(rest, version, escaped, isName);
        }
        if (!escaped)
        {
            WriteUtf8(output, rest);
            return;
        }

        var special = version == StompVersion.V1_2 ? Special12 : Special11;
        while (true)
        {
            int i = rest.IndexOfAny(special);
            if (i < 0)
            {
                WriteUtf8(output, rest);
                return;
            }
            WriteUtf8(output, rest[..i]);
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
            rest = rest[(i + 1)..];
        }
    }

    /// <summary>
    /// Whether a header of an escaped frame (MESSAGE, RECEIPT, ERROR) survives the trip in <paramref name="version"/>;
    /// a relayed header that would not is dropped rather than allowed to break the frame.
    /// </summary>
    public static bool CanCarry(string name, string value, StompVersion version)
    {
        var escaped = version != StompVersion.V1_0;
        return !string.IsNullOrEmpty(name)
            && (escaped && version != StompVersion.V1_1
                || (Unrepresentable(name, version, escaped, isName: true) is null && Unrepresentable(value, version, escaped, isName: false) is null));
    }

    /// <summary>Rejects what the parser on the other side would read back differently.</summary>
    private static void ThrowIfUnrepresentable(ReadOnlySpan<char> text, StompVersion version, bool escaped, bool isName)
    {
        if (Unrepresentable(text, version, escaped, isName) is { } reason)
        {
            throw new ArgumentException(reason);
        }
    }

    private static string? Unrepresentable(ReadOnlySpan<char> text, StompVersion version, bool escaped, bool isName)
    {
        string what = isName ? "header name" : "header value";
        if (!escaped && text.Contains('\n'))
        {
            return $"{what} contains a line feed, which STOMP {version.ToWire()} cannot carry in this frame";
        }
        if (!escaped && isName && text.Contains(':'))
        {
            return $"header name contains ':', which STOMP {version.ToWire()} cannot carry in this frame";
        }
        if (version == StompVersion.V1_2 && text.Contains('\r'))
        {
            return $"{what} contains a carriage return, which STOMP 1.2 cannot carry in this frame";
        }
        if (!isName && !text.IsEmpty && text[^1] == '\r')
        {
            // It would read back as part of a CRLF line ending.
            return $"header value ends with a carriage return, which STOMP {version.ToWire()} cannot carry";
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
