using System.Buffers;
using System.Text;
using Broker.Stomp.Protocol;
using static Broker.Stomp.Tests.Protocol.Parsing;

namespace Broker.Stomp.Tests.Protocol;

public sealed class StompFrameParserLimitTests
{
    private static readonly StompLimits Small = new()
    {
        MaxHeaderLineBytes = 100,
        MaxHeaderBlockBytes = 400,
        MaxHeaders = 5,
        MaxBodyBytes = 1000,
    };

    [Fact]
    public void Parse_HeaderLineAtLimit_IsAccepted()
    {
        string line = "h:" + new string('v', 98);

        Assert.Equal(98, ParseSingle($"SEND\n{line}\r\n\n\0", limits: Small)["h"]!.Length);
    }

    [Fact]
    public void Parse_HeaderLineOverLimit_Throws()
    {
        var ex = ParseThrows("SEND\nh:" + new string('v', 99) + "\n\n\0", limits: Small);

        Assert.Equal("header line exceeds 100 bytes", ex.Message);
    }

    [Fact]
    public void Parse_IncompleteHeaderLineOverLimit_ThrowsWithoutWaitingForNewline()
    {
        var ex = ParseThrows("SEND\nh:" + new string('v', 99), limits: Small);

        Assert.Equal("header line exceeds 100 bytes", ex.Message);
    }

    [Fact]
    public void Parse_IncompleteHeaderLineAtLimitEndingInCr_WaitsForTheLf()
    {
        Assert.True(IsIncomplete(Bytes("SEND\nh:" + new string('v', 98) + "\r"), limits: Small));
    }

    [Fact]
    public void Parse_DefaultHeaderLineLimitWithoutNewline_Throws()
    {
        var data = Bytes("SEND\nh:" + new string('v', 64 * 1024));

        Assert.Equal("header line exceeds 65536 bytes", ParseThrows(data).Message);
    }

    [Fact]
    public void Parse_CommandLineOverLimit_Throws()
    {
        var ex = ParseThrows(new string('A', 101), limits: Small);

        Assert.Equal("command line exceeds 100 bytes", ex.Message);
    }

    [Fact]
    public void Parse_HeaderBlockOverLimit_Throws()
    {
        var headers = string.Concat(Enumerable.Range(0, 5).Select(i => $"h{i}:" + new string('v', 90) + "\n"));

        var ex = ParseThrows("SEND\n" + headers + "\n\0", limits: Small);

        Assert.Equal("header block exceeds 400 bytes", ex.Message);
    }

    [Fact]
    public void Parse_IncompleteHeaderBlockOverLimit_ThrowsWithoutWaitingForBlankLine()
    {
        var headers = string.Concat(Enumerable.Range(0, 4).Select(i => $"h{i}:" + new string('v', 90) + "\n"));

        var ex = ParseThrows("SEND\n" + headers + "h4:" + new string('v', 20), limits: Small);

        Assert.Equal("header block exceeds 400 bytes", ex.Message);
    }

    [Fact]
    public void Parse_MaxHeaders_IsAccepted()
    {
        var headers = string.Concat(Enumerable.Range(0, 5).Select(i => $"h{i}:v\n"));

        Assert.Equal(5, ParseSingle("SEND\n" + headers + "\n\0", limits: Small).Headers.Count);
    }

    [Fact]
    public void Parse_TooManyHeaders_ThrowsBeforeBlankLine()
    {
        var headers = string.Concat(Enumerable.Range(0, 6).Select(i => $"h{i}:v\n"));

        var ex = ParseThrows("SEND\n" + headers, limits: Small);

        Assert.Equal("frame has more than 5 headers", ex.Message);
    }

    [Fact]
    public void Parse_DefaultMaxHeadersExceeded_Throws()
    {
        var headers = string.Concat(Enumerable.Range(0, 1001).Select(i => "h:v\n"));

        Assert.Equal("frame has more than 1000 headers", ParseThrows("SEND\n" + headers).Message);
    }

    [Fact]
    public void Parse_ContentLengthOverLimit_ThrowsWithoutWaitingForBody()
    {
        var ex = ParseThrows("SEND\ncontent-length:1001\n\n", limits: Small);

        Assert.Equal("content-length 1001 exceeds the 1000-byte body limit", ex.Message);
    }

    [Fact]
    public void Parse_HugeContentLength_ThrowsWithoutOverflow()
    {
        var ex = ParseThrows("SEND\ncontent-length:99999999999999999999999999999\n\n");

        Assert.StartsWith("content-length 99999999999999999999999999999 exceeds", ex.Message);
    }

    [Fact]
    public void Parse_ContentLengthAtLimit_IsAccepted()
    {
        var data = Bytes("SEND\ncontent-length:1000\n\n").Concat(new byte[1000]).Append((byte)0).ToArray();

        Assert.Equal(1000, ParseSingle(data, limits: Small).Body.Length);
    }

    [Fact]
    public void Parse_BodyAtLimitWithoutContentLength_IsAccepted()
    {
        var data = Bytes("SEND\n\n" + new string('b', 1000) + "\0");

        Assert.Equal(1000, ParseSingle(data, limits: Small).Body.Length);
    }

    [Fact]
    public void Parse_BodyOverLimitWithoutNul_ThrowsInsteadOfWaiting()
    {
        var ex = ParseThrows("SEND\n\n" + new string('b', 1001), limits: Small);

        Assert.Equal("body exceeds 1000 bytes without a NUL terminator", ex.Message);
    }

    [Fact]
    public void Parse_BodyOverLimitWithNul_Throws()
    {
        Assert.Equal("body exceeds 1000 bytes", ParseThrows("SEND\n\n" + new string('b', 1001) + "\0", limits: Small).Message);
    }

    [Fact]
    public void Parse_BodyAtLimitWithoutNul_WaitsForMore()
    {
        Assert.True(IsIncomplete(Bytes("SEND\n\n" + new string('b', 1000)), limits: Small));
    }

    [Fact]
    public void Parse_LimitsAreEnforcedWhenFedInPieces()
    {
        var parser = Parser(limits: Small);
        var feeder = new ChunkFeeder();
        feeder.Append(Bytes("SEND\n\n"));

        var ex = Assert.Throws<StompProtocolException>(() =>
        {
            for (int i = 0; i < 100; i++)
            {
                feeder.Append(Encoding.ASCII.GetBytes(new string('b', 20)));
                var buffer = feeder.Buffer;
                Assert.False(parser.TryParse(ref buffer, out _));
                feeder.AdvanceTo(buffer);
            }
        });

        Assert.Equal("body exceeds 1000 bytes without a NUL terminator", ex.Message);
        Assert.True(feeder.Buffer.Length <= 1000 + 6 + 20);
    }

    [Fact]
    public void Parse_HeartbeatFlood_IsConsumedNotBuffered()
    {
        var buffer = new ReadOnlySequence<byte>(Bytes(new string('\n', 1_000_000)));

        Assert.False(Parser(limits: Small).TryParse(ref buffer, out _));
        Assert.True(buffer.IsEmpty);
    }
}
