using System.Buffers;
using System.Diagnostics;
using System.Text;
using Broker.Stomp.Protocol;
using Xunit.Abstractions;

namespace Broker.Stomp.Tests.Protocol;

/// <summary>
/// Seeded fuzzing of parser and writer together. Valid frames must round-trip exactly, whole and in random
/// chunkings; mutated input may do anything except throw a non-protocol exception, disagree between whole and
/// chunked feeding, buffer past the limits, or wait forever on input that can no longer become a frame.
/// Raise the frame count with STOMP_FUZZ_FRAMES.
/// </summary>
public sealed class StompFrameFuzzTests(ITestOutputHelper output)
{
    private const int Seed = 0x5707;

    private static readonly StompLimits Limits = new()
    {
        MaxHeaderLineBytes = 200,
        MaxHeaderBlockBytes = 1024,
        MaxHeaders = 16,
        MaxBodyBytes = 4096,
    };

    // Nothing incomplete may ever hold more than a full header block, its blank line and a full body plus NUL.
    private static readonly long MaxPendingBytes = Limits.MaxHeaderBlockBytes + 2 + Limits.MaxBodyBytes + 1;

    private static readonly string[] Commands =
        ["SEND", "MESSAGE", "SUBSCRIBE", "ACK", "NACK", "CONNECT", "STOMP", "CONNECTED", "ERROR", "RECEIPT", "BEGIN"];

    private static readonly string[] Alphabet =
        ["a", "b", "z", "0", "9", "-", "/", ".", " ", ":", "\\", "\n", "\r", "\0", "é", "✓", "😀", "\t", "c", "n"];

    [Fact]
    public void Fuzz_GeneratedAndMutatedFrames_KeepParserInvariants()
    {
        int target = int.TryParse(Environment.GetEnvironmentVariable("STOMP_FUZZ_FRAMES"), out int n) && n > 0 ? n : 100_000;
        var rng = new Random(Seed);
        var stopwatch = Stopwatch.StartNew();
        int frames = 0, iteration = 0, mutated = 0, threw = 0;

        while (frames < target)
        {
            iteration++;
            var version = (StompVersion)rng.Next(3);
            int batch = rng.Next(1, 4);
            var expected = new List<StompFrame>();
            var wire = new List<byte>();
            for (int i = 0; i < batch; i++)
            {
                var (frame, bytes) = RandomFrame(rng, version);
                expected.Add(frame);
                wire.AddRange(bytes);
            }
            frames += batch;
            var data = wire.ToArray();
            var context = $"iteration {iteration} (seed {Seed}, version {version})";

            var whole = Run(data, version, [data.Length], context);
            AssertFrames(expected, whole.Frames, context, data);
            Check(whole.Error is null && whole.Pending == 0, () => $"{context}: valid input left {whole.Pending} bytes / {whole.Error}");
            var chunked = Run(data, version, RandomChunks(rng, data.Length), context);
            AssertFrames(expected, chunked.Frames, context, data);

            // A cut anywhere before the last NUL is merely incomplete, and yields exactly the frames before it.
            int cut = rng.Next(Array.LastIndexOf(data, (byte)0) + 1);
            var truncated = Run(data[..cut], version, RandomChunks(rng, cut), context + $" cut at {cut}");
            Check(truncated.Error is null, () => $"{context}: truncated valid input threw {truncated.Error}");
            AssertFrames(expected.Take(truncated.Frames.Count).ToList(), truncated.Frames, context, data);
            Assert.True(truncated.Frames.Count < expected.Count);

            var garbage = Mutate(rng, data);
            mutated++;
            var result = CheckInvariants(garbage, version, rng, context + " mutated");
            threw += result.Error is null ? 0 : 1;
        }

        output.WriteLine($"{frames} frames in {iteration} batches, {mutated} mutated inputs ({threw} rejected), {stopwatch.Elapsed.TotalSeconds:F1} s");
    }

    private static Outcome CheckInvariants(byte[] data, StompVersion version, Random rng, string context)
    {
        var whole = Run(data, version, [data.Length], context);
        var chunked = Run(data, version, RandomChunks(rng, data.Length), context + " chunked");

        Check(whole.Frames.Count == chunked.Frames.Count, () => $"{context}: whole gave {whole.Frames.Count} frames, chunked {chunked.Frames.Count} ({Hex(data)})");
        for (int i = 0; i < whole.Frames.Count; i++)
        {
            Check(FrameAssert.AreEqual(whole.Frames[i], chunked.Frames[i]), () => $"{context}: frame {i} differs when chunked ({Hex(data)})");
        }
        Check((whole.Error is null) == (chunked.Error is null), () => $"{context}: whole '{whole.Error}' vs chunked '{chunked.Error}' ({Hex(data)})");

        if (whole.Error is null)
        {
            Check(whole.Pending == chunked.Pending, () => $"{context}: pending {whole.Pending} vs {chunked.Pending}");

            // Incomplete input must not stay incomplete forever: no LF and no NUL can ever finish it, so more such
            // bytes than the limits allow must be rejected rather than buffered.
            var starved = data.Concat(Enumerable.Repeat((byte)'x', (int)MaxPendingBytes + 1)).ToArray();
            var fed = Run(starved, version, RandomChunks(rng, starved.Length, maxChunks: 8), context + " starved");
            Check(fed.Error is not null, () => $"{context}: {starved.Length} bytes without terminator were not rejected ({Hex(data)})");
        }
        return whole;
    }

    private sealed record Outcome(List<StompFrame> Frames, string? Error, long Pending);

    /// <summary>Feeds the data through a pipe-like feeder in the given chunk sizes, checking the buffering bound.</summary>
    private static Outcome Run(byte[] data, StompVersion version, IReadOnlyList<int> chunks, string context)
    {
        var parser = new StompFrameParser(Limits) { Version = version };
        var feeder = new ChunkFeeder();
        var frames = new List<StompFrame>();
        int offset = 0;
        try
        {
            foreach (int size in chunks)
            {
                feeder.Append(data.AsMemory(offset, size));
                offset += size;
                var buffer = feeder.Buffer;
                while (parser.TryParse(ref buffer, out var frame))
                {
                    frames.Add(frame);
                }
                feeder.AdvanceTo(buffer);
                Check(buffer.Length <= MaxPendingBytes, () => $"{context}: parser left {buffer.Length} bytes pending ({Hex(data)})");
            }
            return new Outcome(frames, null, feeder.Buffer.Length);
        }
        catch (StompProtocolException ex)
        {
            return new Outcome(frames, ex.Message, -1);
        }
        catch (Exception ex) when (ex is not Xunit.Sdk.XunitException)
        {
            Assert.Fail($"{context}: parser threw {ex} for {Hex(data)}");
            throw;
        }
    }

    private static (StompFrame Frame, byte[] Wire) RandomFrame(Random rng, StompVersion version)
    {
        string command = rng.Next(5) == 0
            ? new string(Enumerable.Range(0, rng.Next(1, 12)).Select(_ => (char)('A' + rng.Next(26))).ToArray())
            : Commands[rng.Next(Commands.Length)];
        bool escaped = version != StompVersion.V1_0 && command is not ("CONNECT" or "STOMP" or "CONNECTED");

        var headers = new List<KeyValuePair<string, string>>();
        int headerCount = rng.Next(9);
        for (int i = 0; i < headerCount; i++)
        {
            string name = Representable(RandomText(rng, 1, 10), version, escaped, isName: true);
            if (name.Length == 0)
            {
                name = "h";
            }
            headers.Add(KeyValuePair.Create(name, Representable(RandomText(rng, 0, 20), version, escaped, isName: false)));
        }
        if (rng.Next(8) == 0 && headers.Count > 0)
        {
            headers.Add(headers[rng.Next(headers.Count)]);
        }

        int bodyLength = rng.Next(10) switch
        {
            0 => rng.Next(Limits.MaxBodyBytes + 1),
            < 4 => 0,
            _ => rng.Next(64),
        };
        var body = new byte[bodyLength];
        rng.NextBytes(body);
        bool nulTerminated = rng.Next(3) == 0 && !headers.Any(h => h.Key == "content-length");

        byte[] frameBytes;
        StompFrame expected;
        if (nulTerminated)
        {
            // Write the headers alone and append a NUL-free body, so the parser has to find the NUL itself.
            for (int i = 0; i < body.Length; i++)
            {
                body[i] = body[i] == 0 ? (byte)1 : body[i];
            }
            expected = new StompFrame(command, headers.ToArray(), body);
            var head = StompFrameWriter.ToArray(new StompFrame(command, headers.ToArray(), ReadOnlyMemory<byte>.Empty), version);
            frameBytes = [.. head.AsSpan(0, head.Length - 1), .. body, 0];
        }
        else
        {
            if (body.Length > 0 && !headers.Any(h => h.Key == "content-length"))
            {
                // The writer adds content-length when a body has none; the parser reports it like any header.
                expected = new StompFrame(command, [.. headers, KeyValuePair.Create("content-length", body.Length.ToString())], body);
            }
            else
            {
                expected = new StompFrame(command, headers.ToArray(), body);
            }
            frameBytes = StompFrameWriter.ToArray(new StompFrame(command, headers.ToArray(), body), version);
        }

        if (rng.Next(4) == 0)
        {
            frameBytes = WithCrLf(frameBytes);
        }
        var wire = new List<byte>();
        wire.AddRange(RandomEols(rng));
        wire.AddRange(frameBytes);
        wire.AddRange(RandomEols(rng));
        return (expected, wire.ToArray());
    }

    private static string RandomText(Random rng, int min, int max)
    {
        var sb = new StringBuilder();
        int length = rng.Next(min, max + 1);
        for (int i = 0; i < length; i++)
        {
            sb.Append(rng.Next(3) == 0 ? Alphabet[rng.Next(Alphabet.Length)] : ((char)('a' + rng.Next(26))).ToString());
        }
        return sb.ToString();
    }

    /// <summary>Drops what the version cannot carry (the writer would rightly refuse it).</summary>
    private static string Representable(string text, StompVersion version, bool escaped, bool isName)
    {
        // A NUL would end the frame for other parsers: no version carries one in a header.
        text = text.Replace("\0", "");
        if (escaped && version == StompVersion.V1_2)
        {
            return text;
        }
        text = text.Replace("\r", "");
        if (!escaped)
        {
            text = text.Replace("\n", "");
            if (isName)
            {
                text = text.Replace(":", "");
            }
        }
        return text;
    }

    /// <summary>Turns every line ending of the header block into CRLF.</summary>
    private static byte[] WithCrLf(byte[] frame)
    {
        int blank = frame.AsSpan().IndexOf("\n\n"u8);
        var result = new List<byte>();
        for (int i = 0; i <= blank + 1; i++)
        {
            if (frame[i] == '\n')
            {
                result.Add((byte)'\r');
            }
            result.Add(frame[i]);
        }
        result.AddRange(frame.AsSpan(blank + 2).ToArray());
        return result.ToArray();
    }

    private static byte[] RandomEols(Random rng) => rng.Next(3) switch
    {
        0 => Enumerable.Range(0, rng.Next(1, 4)).SelectMany(_ => rng.Next(2) == 0 ? "\n"u8.ToArray() : "\r\n"u8.ToArray()).ToArray(),
        _ => [],
    };

    private static byte[] Mutate(Random rng, byte[] data)
    {
        var bytes = data.ToList();
        switch (rng.Next(9))
        {
            case 0:
                for (int i = rng.Next(1, 4); i > 0 && bytes.Count > 0; i--)
                {
                    bytes[rng.Next(bytes.Count)] ^= (byte)(1 << rng.Next(8));
                }
                break;
            case 1:
                for (int i = rng.Next(1, 4); i > 0 && bytes.Count > 0; i--)
                {
                    bytes[rng.Next(bytes.Count)] = (byte)rng.Next(256);
                }
                break;
            case 2:
                bytes.InsertRange(rng.Next(bytes.Count + 1), RandomBytes(rng, rng.Next(1, 8)));
                break;
            case 3:
                if (bytes.Count > 1)
                {
                    int start = rng.Next(bytes.Count);
                    bytes.RemoveRange(start, rng.Next(1, Math.Min(16, bytes.Count - start) + 1));
                }
                break;
            case 4:
                bytes.InsertRange(rng.Next(bytes.Count + 1), Encoding.ASCII.GetBytes($"content-length:{RandomLength(rng)}\n"));
                break;
            case 5:
                bytes.InsertRange(rng.Next(bytes.Count + 1), Enumerable.Repeat((byte)"a:\\\n\r\0x"[rng.Next(7)], rng.Next(100, 6000)));
                break;
            case 6:
                return RandomBytes(rng, rng.Next(1, 300));
            case 7:
                bytes.InsertRange(rng.Next(bytes.Count + 1), Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("h:v\n", rng.Next(10, 40)))));
                break;
            default:
                // Swap in escape sequences and line endings at random places.
                for (int i = rng.Next(1, 4); i > 0; i--)
                {
                    string[] snippets = ["\\", "\\t", "\\r", "\\c", "\r", "\r\n", "\n", "\n\n", ":", "\0"];
                    bytes.InsertRange(rng.Next(bytes.Count + 1), Encoding.ASCII.GetBytes(snippets[rng.Next(snippets.Length)]));
                }
                break;
        }
        return bytes.ToArray();
    }

    private static string RandomLength(Random rng) => rng.Next(6) switch
    {
        0 => "99999999999999999999999",
        1 => "-1",
        2 => (Limits.MaxBodyBytes + rng.Next(1, 1000)).ToString(),
        3 => "",
        4 => "1x",
        _ => rng.Next(0, 50).ToString(),
    };

    private static byte[] RandomBytes(Random rng, int count)
    {
        var bytes = new byte[count];
        rng.NextBytes(bytes);
        return bytes;
    }

    /// <summary>Random chunk sizes summing to <paramref name="length"/>; short inputs are sometimes fed byte by byte.</summary>
    private static List<int> RandomChunks(Random rng, int length, int maxChunks = 12)
    {
        var chunks = new List<int>();
        if (length == 0)
        {
            return chunks;
        }
        if (length < 300 && rng.Next(8) == 0)
        {
            chunks.AddRange(Enumerable.Repeat(1, length));
            return chunks;
        }
        int parts = rng.Next(1, maxChunks + 1);
        int remaining = length;
        for (int i = 1; i < parts && remaining > 1; i++)
        {
            int size = rng.Next(1, remaining);
            chunks.Add(size);
            remaining -= size;
        }
        chunks.Add(remaining);
        return chunks;
    }

    private static void AssertFrames(List<StompFrame> expected, List<StompFrame> actual, string context, byte[] data)
    {
        Check(expected.Count == actual.Count, () => $"{context}: expected {expected.Count} frames, got {actual.Count} ({Hex(data)})");
        for (int i = 0; i < expected.Count; i++)
        {
            Check(FrameAssert.AreEqual(expected[i], actual[i]), () => $"{context}: frame {i} did not round-trip ({Hex(data)})");
        }
    }

    /// <summary>Like Assert.True, but builds the (hex-dumping) message only on failure.</summary>
    private static void Check(bool condition, Func<string> message)
    {
        if (!condition)
        {
            Assert.Fail(message());
        }
    }

    private static string Hex(byte[] data) => data.Length <= 2000 ? Convert.ToHexString(data) : $"{data.Length} bytes";
}
