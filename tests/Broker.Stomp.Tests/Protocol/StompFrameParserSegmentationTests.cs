using System.Buffers;
using Broker.Stomp.Protocol;
using static Broker.Stomp.Tests.Protocol.Parsing;

namespace Broker.Stomp.Tests.Protocol;

public sealed class StompFrameParserSegmentationTests
{
    public static TheoryData<string, StompVersion> Frames => new()
    {
        { "SEND\ndestination:/queue/a\nreceipt:r-1\n\nhello world\0", StompVersion.V1_2 },
        { "\r\n\nMESSAGE\r\nsubscription:0\r\nmessage-id:m\\c1\r\nh:\\\\\\n\\r\r\n\r\nbody\0\n", StompVersion.V1_2 },
        { "SEND\ncontent-length:5\ncontent-type:application/octet-stream\n\n\0a\0\n\0\0", StompVersion.V1_2 },
        { "CONNECT\naccept-version:1.0,1.1,1.2\nhost:h\nlogin:a:b\n\n\0", StompVersion.V1_2 },
        { "SEND\nh:v\\c\n\n\0ACK\nid:1\n\n\0", StompVersion.V1_1 },
        { "SEND\nh:v\\n\n\nbody\0", StompVersion.V1_0 },
        { "SEND\nnäme:välue✓\n\n\0", StompVersion.V1_2 },
    };

    [Theory]
    [MemberData(nameof(Frames))]
    public void Parse_SplitIntoTwoSegmentsAtEveryPosition_GivesSameFrames(string text, StompVersion version)
    {
        var data = Bytes(text);
        var expected = ParseAll(new ReadOnlySequence<byte>(data), version);
        Assert.NotEmpty(expected);

        for (int split = 0; split <= data.Length; split++)
        {
            var frames = ParseAll(Sequences.SplitAt(data, split), version);

            Assert.Equal(expected.Count, frames.Count);
            for (int i = 0; i < frames.Count; i++)
            {
                FrameAssert.Equal(expected[i], frames[i]);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Frames))]
    public void Parse_OneBytePerSegment_GivesSameFrames(string text, StompVersion version)
    {
        var data = Bytes(text);
        var expected = ParseAll(new ReadOnlySequence<byte>(data), version);

        var frames = ParseAll(Sequences.OneBytePerSegment(data), version);

        Assert.Equal(expected.Count, frames.Count);
        for (int i = 0; i < frames.Count; i++)
        {
            FrameAssert.Equal(expected[i], frames[i]);
        }
    }

    [Theory]
    [MemberData(nameof(Frames))]
    public void Parse_FedByteByByteLikeAPipe_GivesSameFrames(string text, StompVersion version)
    {
        var data = Bytes(text);
        var expected = ParseAll(new ReadOnlySequence<byte>(data), version);
        var parser = Parser(version);
        var feeder = new ChunkFeeder();
        var frames = new List<StompFrame>();

        for (int i = 0; i < data.Length; i++)
        {
            feeder.Append(data.AsMemory(i, 1));
            var buffer = feeder.Buffer;
            while (parser.TryParse(ref buffer, out var frame))
            {
                frames.Add(frame);
            }
            feeder.AdvanceTo(buffer);
        }

        Assert.Equal(expected.Count, frames.Count);
        for (int i = 0; i < frames.Count; i++)
        {
            FrameAssert.Equal(expected[i], frames[i]);
        }
    }

    [Theory]
    [MemberData(nameof(Frames))]
    public void Parse_EveryProperPrefixOfALastFrame_IsIncomplete(string text, StompVersion version)
    {
        var data = Bytes(text.TrimEnd('\n'));
        int expectedFrames = ParseAll(new ReadOnlySequence<byte>(data), version).Count;

        for (int length = 0; length < data.Length; length++)
        {
            var frames = ParseAll(new ReadOnlySequence<byte>(data, 0, length), version);
            Assert.True(frames.Count < expectedFrames, $"prefix of {length} bytes gave {frames.Count} frames");
        }
    }
}
