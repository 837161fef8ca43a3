using System.Buffers;
using System.Text;
using Broker.Stomp.Protocol;

namespace Broker.Stomp.Tests.Protocol;

internal static class Parsing
{
    public static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    public static StompFrameParser Parser(StompVersion version = StompVersion.V1_2, StompLimits? limits = null) =>
        new(limits ?? StompLimits.Default) { Version = version };

    /// <summary>Parses every complete frame; the parser must then be left with an incomplete tail (or nothing).</summary>
    public static List<StompFrame> ParseAll(ReadOnlySequence<byte> buffer, StompVersion version = StompVersion.V1_2, StompLimits? limits = null)
    {
        var parser = Parser(version, limits);
        var frames = new List<StompFrame>();
        while (parser.TryParse(ref buffer, out var frame))
        {
            frames.Add(frame);
        }
        return frames;
    }

    public static List<StompFrame> ParseAll(string text, StompVersion version = StompVersion.V1_2, StompLimits? limits = null) =>
        ParseAll(new ReadOnlySequence<byte>(Bytes(text)), version, limits);

    public static StompFrame ParseSingle(string text, StompVersion version = StompVersion.V1_2, StompLimits? limits = null) =>
        ParseSingle(Bytes(text), version, limits);

    public static StompFrame ParseSingle(byte[] data, StompVersion version = StompVersion.V1_2, StompLimits? limits = null)
    {
        var buffer = new ReadOnlySequence<byte>(data);
        Assert.True(Parser(version, limits).TryParse(ref buffer, out var frame));
        Assert.True(buffer.IsEmpty);
        return frame;
    }

    public static StompProtocolException ParseThrows(string text, StompVersion version = StompVersion.V1_2, StompLimits? limits = null) =>
        ParseThrows(Bytes(text), version, limits);

    public static StompProtocolException ParseThrows(byte[] data, StompVersion version = StompVersion.V1_2, StompLimits? limits = null)
    {
        var parser = Parser(version, limits);
        var buffer = new ReadOnlySequence<byte>(data);
        return Assert.Throws<StompProtocolException>(() =>
        {
            while (parser.TryParse(ref buffer, out _))
            {
            }
        });
    }

    public static bool IsIncomplete(byte[] data, StompVersion version = StompVersion.V1_2, StompLimits? limits = null)
    {
        var buffer = new ReadOnlySequence<byte>(data);
        return !Parser(version, limits).TryParse(ref buffer, out _);
    }
}
