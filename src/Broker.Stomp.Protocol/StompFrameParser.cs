using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text.Unicode;

namespace Broker.Stomp.Protocol;

/// <summary>
/// Incremental STOMP frame parser for one connection, used like SignalR's TextMessageParser:
/// <code>
/// while (parser.TryParse(ref buffer, out var frame)) { ... }
/// reader.AdvanceTo(buffer.Start, buffer.End);
/// </code>
/// On success <c>buffer</c> is sliced past the frame (and past heart-beat EOLs that follow it). On incomplete input
/// it returns false; heart-beat EOLs in front of the pending frame are consumed, the frame's own bytes stay in
/// <c>buffer</c>. Every malformed input and every limit breach throws <see cref="StompProtocolException"/>, and
/// limits are checked on partial input too, so the caller never buffers more than the limits allow.
/// </summary>
/// <remarks>
/// To avoid rescanning a large pending frame from its start on every read (quadratic in its size), the parser
/// remembers how far it got, keyed by the frame's start position. This relies on the caller handing back the same
/// unconsumed bytes, as a <see cref="System.IO.Pipelines.PipeReader"/> does; call <see cref="Reset"/> before
/// feeding unrelated data whose memory might be reused.
/// </remarks>
public sealed class StompFrameParser(StompLimits limits)
{
    private const byte Lf = (byte)'\n';
    private const byte Cr = (byte)'\r';
    private const byte Colon = (byte)':';
    private const byte Backslash = (byte)'\\';

    private readonly StompLimits _limits = limits ?? throw new ArgumentNullException(nameof(limits));
    private StompVersion _version = StompVersion.V1_2;
    private Pending _pending;

    public StompFrameParser()
        : this(StompLimits.Default)
    {
    }

    /// <summary>Decides header escaping; the session sets it once CONNECT has negotiated a version.</summary>
    public StompVersion Version
    {
        get => _version;
        set
        {
            _version = value;
            Reset();
        }
    }

    /// <summary>Forgets any partially scanned frame.</summary>
    public void Reset() => _pending = default;

    public bool TryParse(ref ReadOnlySequence<byte> buffer, [NotNullWhen(true)] out StompFrame? frame)
    {
        frame = null;
        try
        {
            var input = buffer.Slice(SkipEols(buffer, throwOnBareCr: true));
            if (input.IsEmpty)
            {
                buffer = input;
                Reset();
                return false;
            }
            if (!_pending.Matches(input))
            {
                _pending = new Pending(input.Start);
            }

            if (_pending.BodyOffset < 0 && !ScanHeaderBlock(input))
            {
                buffer = input;
                return false;
            }
            if (!TryFindBodyEnd(input, out long bodyLength))
            {
                buffer = input;
                return false;
            }

            var body = bodyLength == 0
                ? ReadOnlyMemory<byte>.Empty
                : input.Slice(_pending.BodyOffset, bodyLength).ToArray();
            frame = new StompFrame(_pending.Command!, _pending.Headers!, body);
            var afterNul = input.Slice(_pending.BodyOffset + bodyLength + 1);
            buffer = afterNul.Slice(SkipEols(afterNul, throwOnBareCr: false));
            Reset();
            return true;
        }
        catch (StompProtocolException)
        {
            Reset();
            throw;
        }
    }

    /// <summary>Skips LF and CRLF heart-beats; a CR at the very end is left for the next read.</summary>
    private static SequencePosition SkipEols(in ReadOnlySequence<byte> buffer, bool throwOnBareCr)
    {
        var reader = new SequenceReader<byte>(buffer);
        while (reader.TryPeek(out byte b))
        {
            if (b == Lf)
            {
                reader.Advance(1);
            }
            else if (b == Cr && reader.TryPeek(1, out byte next))
            {
                if (next != Lf)
                {
                    if (throwOnBareCr)
                    {
                        throw new StompProtocolException("carriage return not followed by a line feed before a command");
                    }
                    break;
                }
                reader.Advance(2);
            }
            else
            {
                break;
            }
        }
        return reader.Position;
    }

    /// <summary>
    /// Scans from where the last call stopped for the blank line ending the headers, enforcing the line, block
    /// and count limits on the way. Once the block is complete it is parsed into the pending command and headers.
    /// </summary>
    private bool ScanHeaderBlock(in ReadOnlySequence<byte> input)
    {
        ref var p = ref _pending;
        foreach (var memory in input.Slice(p.ScanOffset))
        {
            var span = memory.Span;
            int i = 0;
            while (i < span.Length)
            {
                if (p.Lines == 0)
                {
                    // Command line: check byte by byte so garbage fails at once instead of after 64 KiB.
                    byte b = span[i];
                    if (p.LastByte == Cr && b != Lf)
                    {
                        throw new StompProtocolException("command line contains a carriage return not followed by a line feed");
                    }
                    if (b != Lf && b != Cr && b is < (byte)'A' or > (byte)'Z')
                    {
                        throw new StompProtocolException($"invalid character {Describe(b)} in command: commands are upper-case ASCII letters");
                    }
                    p.ScanOffset++;
                    i++;
                    if (b == Lf)
                    {
                        EndLine(ref p, p.ScanOffset - 1);
                    }
                    p.LastByte = b;
                    continue;
                }

                int nl = span[i..].IndexOf(Lf);
                if (nl < 0)
                {
                    p.ScanOffset += span.Length - i;
                    p.LastByte = span[^1];
                    break;
                }
                if (nl > 0)
                {
                    p.LastByte = span[i + nl - 1];
                }
                i += nl + 1;
                p.ScanOffset += nl + 1;
                if (EndLine(ref p, p.ScanOffset - 1))
                {
                    ParseHeaderBlock(input.Slice(0, p.ScanOffset));
                    return true;
                }
                p.LastByte = Lf;
            }
        }

        // Incomplete: what is buffered of the current line already counts against the limits.
        long partial = p.ScanOffset - p.LineStart - (p.LastByte == Cr ? 1 : 0);
        CheckLineLimits(ref p, partial, p.LineStart + partial);
        return false;
    }

    /// <summary>Accounts for a line whose LF is at <paramref name="lfOffset"/>; true when it is the blank line.</summary>
    private bool EndLine(ref Pending p, long lfOffset)
    {
        long length = lfOffset - p.LineStart - (lfOffset > p.LineStart && p.LastByte == Cr ? 1 : 0);
        if (length == 0)
        {
            if (p.Lines == 0)
            {
                throw new StompProtocolException("empty command");
            }
            return true;
        }
        CheckLineLimits(ref p, length, lfOffset + 1);
        p.Lines++;
        if (p.Lines - 1 > _limits.MaxHeaders)
        {
            throw new StompProtocolException($"frame has more than {_limits.MaxHeaders} headers");
        }
        p.LineStart = lfOffset + 1;
        return false;
    }

    private void CheckLineLimits(ref Pending p, long lineLength, long blockLength)
    {
        if (lineLength > _limits.MaxHeaderLineBytes)
        {
            throw new StompProtocolException(p.Lines == 0
                ? $"command line exceeds {_limits.MaxHeaderLineBytes} bytes"
                : $"header line exceeds {_limits.MaxHeaderLineBytes} bytes");
        }
        if (blockLength > _limits.MaxHeaderBlockBytes)
        {
            throw new StompProtocolException($"header block exceeds {_limits.MaxHeaderBlockBytes} bytes");
        }
    }

    private void ParseHeaderBlock(in ReadOnlySequence<byte> block)
    {
        // The block is bounded by MaxHeaderBlockBytes, so flattening a multi-segment one is cheap and lets the
        // line parsing below work on plain spans.
        if (block.IsSingleSegment)
        {
            ParseHeaderBlock(block.FirstSpan);
            return;
        }
        byte[] rented = ArrayPool<byte>.Shared.Rent((int)block.Length);
        try
        {
            block.CopyTo(rented);
            ParseHeaderBlock(rented.AsSpan(0, (int)block.Length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private void ParseHeaderBlock(ReadOnlySpan<byte> block)
    {
        var rest = block;
        var commandLine = NextLine(ref rest);
        if (commandLine.IsEmpty || commandLine.ContainsAnyExceptInRange((byte)'A', (byte)'Z'))
        {
            throw new StompProtocolException("invalid command: commands are upper-case ASCII letters");
        }
        string command = StompWireStrings.Command(commandLine);

        // The spec exempts the connection handshake from escaping (1.0 clients send CONNECT before negotiating).
        bool escaped = _version != StompVersion.V1_0 && command is not ("CONNECT" or "STOMP" or "CONNECTED");
        var headers = new List<KeyValuePair<string, string>>();
        long contentLength = -1;
        while (true)
        {
            var line = NextLine(ref rest);
            if (line.IsEmpty)
            {
                break;
            }
            if (_version == StompVersion.V1_2 && line.Contains(Cr))
            {
                throw new StompProtocolException("header line contains a carriage return not followed by a line feed");
            }
            int colon = line.IndexOf(Colon);
            if (colon < 0)
            {
                throw new StompProtocolException($"header line without ':' ({Preview(line)})");
            }
            if (colon == 0)
            {
                throw new StompProtocolException("header line with an empty name");
            }
            string name = DecodeHeaderPart(line[..colon], escaped, isName: true);
            string value = DecodeHeaderPart(line[(colon + 1)..], escaped, isName: false);
            headers.Add(KeyValuePair.Create(name, value));
            if (contentLength < 0 && name == "content-length")
            {
                contentLength = ParseContentLength(value);
            }
        }

        _pending.Command = command;
        _pending.Headers = headers.ToArray();
        _pending.ContentLength = contentLength;
        _pending.BodyOffset = block.Length;
        _pending.NulScanOffset = block.Length;
    }

    /// <summary>Returns the next line without its LF or CRLF; the caller guarantees an LF is present.</summary>
    private static ReadOnlySpan<byte> NextLine(ref ReadOnlySpan<byte> rest)
    {
        int nl = rest.IndexOf(Lf);
        var line = rest[..nl];
        rest = rest[(nl + 1)..];
        return !line.IsEmpty && line[^1] == Cr ? line[..^1] : line;
    }

    private string DecodeHeaderPart(ReadOnlySpan<byte> raw, bool escaped, bool isName)
    {
        if (!escaped || !raw.Contains(Backslash))
        {
            return Decode(raw, isName);
        }

        byte[]? rented = null;
        Span<byte> scratch = raw.Length <= 256 ? stackalloc byte[256] : (rented = ArrayPool<byte>.Shared.Rent(raw.Length));
        try
        {
            int written = Unescape(raw, scratch, allowCr: _version == StompVersion.V1_2);
            return Decode(scratch[..written], isName);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static int Unescape(ReadOnlySpan<byte> raw, Span<byte> output, bool allowCr)
    {
        int written = 0;
        while (true)
        {
            int slash = raw.IndexOf(Backslash);
            if (slash < 0)
            {
                raw.CopyTo(output[written..]);
                return written + raw.Length;
            }
            raw[..slash].CopyTo(output[written..]);
            written += slash;
            if (slash + 1 == raw.Length)
            {
                throw new StompProtocolException("header ends with an unfinished escape sequence '\\'");
            }
            output[written++] = raw[slash + 1] switch
            {
                Backslash => Backslash,
                (byte)'n' => Lf,
                (byte)'c' => Colon,
                (byte)'r' when allowCr => Cr,
                var other => throw new StompProtocolException($"invalid escape sequence '\\{DescribeBare(other)}' in header"),
            };
            raw = raw[(slash + 2)..];
        }
    }

    private static string Decode(ReadOnlySpan<byte> utf8, bool isName)
    {
        if (!Utf8.IsValid(utf8))
        {
            throw new StompProtocolException(isName ? "header name is not valid UTF-8" : "header value is not valid UTF-8");
        }
        return isName ? StompWireStrings.HeaderName(utf8) : StompWireStrings.HeaderValue(utf8);
    }

    private long ParseContentLength(string value)
    {
        if (value.Length == 0 || value.AsSpan().ContainsAnyExceptInRange('0', '9'))
        {
            throw new StompProtocolException($"content-length '{Truncate(value)}' is not a number");
        }
        long length = 0;
        foreach (char c in value)
        {
            length = length * 10 + (c - '0');
            if (length > _limits.MaxBodyBytes)
            {
                throw new StompProtocolException($"content-length {Truncate(value)} exceeds the {_limits.MaxBodyBytes}-byte body limit");
            }
        }
        return length;
    }

    /// <summary>Finds where the body ends: content-length bytes on, or at the first NUL.</summary>
    private bool TryFindBodyEnd(in ReadOnlySequence<byte> input, out long bodyLength)
    {
        ref var p = ref _pending;
        if (p.ContentLength >= 0)
        {
            bodyLength = p.ContentLength;
            long nulOffset = p.BodyOffset + p.ContentLength;
            if (input.Length <= nulOffset)
            {
                return false;
            }
            var terminator = input.Slice(nulOffset, 1).FirstSpan[0];
            if (terminator != 0)
            {
                throw new StompProtocolException($"frame not terminated by NUL after its {p.ContentLength}-byte content-length body (found {Describe(terminator)})");
            }
            return true;
        }

        var nul = input.Slice(p.NulScanOffset).PositionOf((byte)0);
        if (nul is { } position)
        {
            bodyLength = input.Slice(p.BodyOffset, position).Length;
        }
        else
        {
            p.NulScanOffset = input.Length;
            bodyLength = input.Length - p.BodyOffset;
        }
        if (bodyLength > _limits.MaxBodyBytes)
        {
            throw new StompProtocolException(nul is null
                ? $"body exceeds {_limits.MaxBodyBytes} bytes without a NUL terminator"
                : $"body exceeds {_limits.MaxBodyBytes} bytes");
        }
        return nul is not null;
    }

    private static string Describe(byte b) => b is >= 0x21 and < 0x7F ? $"'{(char)b}'" : $"0x{b:X2}";

    private static string DescribeBare(byte b) => b is >= 0x21 and < 0x7F ? ((char)b).ToString() : $"x{b:X2}";

    private static string Preview(ReadOnlySpan<byte> line)
    {
        var shown = line[..Math.Min(line.Length, 40)];
        var chars = new char[shown.Length];
        for (int i = 0; i < shown.Length; i++)
        {
            chars[i] = shown[i] is >= 0x20 and < 0x7F ? (char)shown[i] : '?';
        }
        return "'" + new string(chars) + (line.Length > shown.Length ? "...'" : "'");
    }

    private static string Truncate(string value) => value.Length <= 40 ? value : value[..40] + "...";

    /// <summary>How far the parser got with the frame starting at <see cref="Start"/>; offsets are from there.</summary>
    private struct Pending(SequencePosition start)
    {
        public readonly SequencePosition Start = start;
        public readonly bool IsSet = true;
        public long ScanOffset;
        public long LineStart;
        public int Lines;
        public byte LastByte;
        public long BodyOffset = -1;
        public long NulScanOffset;
        public long ContentLength = -1;
        public string? Command;
        public KeyValuePair<string, string>[]? Headers;

        /// <summary>Same frame as last time, as long as the caller did not hand back fewer bytes.</summary>
        public readonly bool Matches(in ReadOnlySequence<byte> input) =>
            IsSet && Start.Equals(input.Start) && input.Length >= Math.Max(ScanOffset, NulScanOffset);
    }
}
