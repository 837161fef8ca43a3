using System.Buffers;
using System.Text;
using Broker.Stomp.Protocol;
using static Broker.Stomp.Tests.Protocol.Parsing;

namespace Broker.Stomp.Tests.Protocol;

public sealed class StompFrameRoundTripTests
{
    public static TheoryData<StompVersion> Versions => [StompVersion.V1_0, StompVersion.V1_1, StompVersion.V1_2];

    [Theory]
    [MemberData(nameof(Versions))]
    public void RoundTrip_SimpleFrame_IsIdentical(StompVersion version)
    {
        var frame = new StompFrame("SEND", [KeyValuePair.Create("destination", "/queue/a"), KeyValuePair.Create("receipt", "77")], Bytes("hello"));

        var parsed = ParseSingle(StompFrameWriter.ToArray(frame, version), version);

        Assert.Equal("SEND", parsed.Command);
        Assert.Equal("/queue/a", parsed["destination"]);
        Assert.Equal("77", parsed["receipt"]);
        Assert.Equal("5", parsed["content-length"]);
        Assert.Equal("hello", Encoding.UTF8.GetString(parsed.Body.Span));
    }

    [Theory]
    [InlineData("a:b", "a\\cb")]
    [InlineData("line1\nline2", "line1\\nline2")]
    [InlineData("back\\slash", "back\\\\slash")]
    [InlineData("cr\rhere", "cr\\rhere")]
    [InlineData("all:\n\\\r", "all\\c\\n\\\\\\r")]
    [InlineData("plain", "plain")]
    [InlineData("ünïcødé ✓ 😀", "ünïcødé ✓ 😀")]
    public void RoundTrip_V12Escaping_MatchesSpecTable(string value, string wire)
    {
        var frame = new StompFrame("SEND", ("na:me", value));

        var bytes = StompFrameWriter.ToArray(frame, StompVersion.V1_2);

        Assert.Equal($"SEND\nna\\cme:{wire}\n\n\0", Encoding.UTF8.GetString(bytes));
        FrameAssert.Equal(frame, ParseSingle(bytes, StompVersion.V1_2));
    }

    [Theory]
    [InlineData("a:b", "a\\cb")]
    [InlineData("line1\nline2", "line1\\nline2")]
    [InlineData("back\\slash", "back\\\\slash")]
    [InlineData("cr\rmid", "cr\rmid")]
    public void RoundTrip_V11Escaping_MatchesSpecTable(string value, string wire)
    {
        var frame = new StompFrame("MESSAGE", ("h", value));

        var bytes = StompFrameWriter.ToArray(frame, StompVersion.V1_1);

        Assert.Equal($"MESSAGE\nh:{wire}\n\n\0", Encoding.UTF8.GetString(bytes));
        FrameAssert.Equal(frame, ParseSingle(bytes, StompVersion.V1_1));
    }

    [Fact]
    public void Parse_V11BackslashR_Throws()
    {
        var ex = ParseThrows("SEND\nh:a\\rb\n\n\0", StompVersion.V1_1);

        Assert.Contains("invalid escape sequence '\\r'", ex.Message);
    }

    [Fact]
    public void RoundTrip_V10_NoEscaping()
    {
        var frame = new StompFrame("SEND", ("h", "a\\nb:c\\c"));

        var bytes = StompFrameWriter.ToArray(frame, StompVersion.V1_0);

        Assert.Equal("SEND\nh:a\\nb:c\\c\n\n\0", Encoding.UTF8.GetString(bytes));
        FrameAssert.Equal(frame, ParseSingle(bytes, StompVersion.V1_0));
    }

    [Theory]
    [InlineData("CONNECT")]
    [InlineData("STOMP")]
    [InlineData("CONNECTED")]
    public void RoundTrip_HandshakeFrames_AreNeverEscaped(string command)
    {
        var frame = new StompFrame(command, ("passcode", "p\\w:d"));

        var bytes = StompFrameWriter.ToArray(frame, StompVersion.V1_2);

        Assert.Equal($"{command}\npasscode:p\\w:d\n\n\0", Encoding.UTF8.GetString(bytes));
        FrameAssert.Equal(frame, ParseSingle(bytes, StompVersion.V1_2));
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void RoundTrip_BinaryBodyWithNulBytes_UsesContentLength(StompVersion version)
    {
        var body = new byte[] { 0, 1, 2, 0, 255, 0, (byte)'\n', 0 };
        var frame = new StompFrame("SEND", [KeyValuePair.Create("destination", "/q")], body);

        var parsed = ParseSingle(StompFrameWriter.ToArray(frame, version), version);

        Assert.Equal(body, parsed.Body.ToArray());
        Assert.Equal("8", parsed["content-length"]);
    }

    [Fact]
    public void Parse_ExplicitZeroContentLength_GivesEmptyBody()
    {
        var frame = ParseSingle("SEND\ncontent-length:0\n\n\0");

        Assert.True(frame.Body.IsEmpty);
    }

    [Fact]
    public void Parse_RepeatedHeaders_KeepsAllAndFirstWins()
    {
        var frame = ParseSingle("MESSAGE\nfoo:World\nfoo:Hello\n\n\0");

        Assert.Equal("World", frame["foo"]);
        Assert.Equal([KeyValuePair.Create("foo", "World"), KeyValuePair.Create("foo", "Hello")], frame.Headers);
    }

    [Fact]
    public void Parse_RepeatedContentLength_FirstOneCounts()
    {
        var frame = ParseSingle("SEND\ncontent-length:3\ncontent-length:1\n\na\0b\0");

        Assert.Equal(new byte[] { (byte)'a', 0, (byte)'b' }, frame.Body.ToArray());
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void Parse_CrLfLineEndings_AreAccepted(StompVersion version)
    {
        var frame = ParseSingle("SEND\r\ndestination:/queue/a\r\nx:\r\n\r\nbody\0", version);

        Assert.Equal("SEND", frame.Command);
        Assert.Equal([KeyValuePair.Create("destination", "/queue/a"), KeyValuePair.Create("x", "")], frame.Headers);
        Assert.Equal("body", Encoding.UTF8.GetString(frame.Body.Span));
    }

    [Fact]
    public void Parse_HeartbeatsBetweenFrames_AreSkipped()
    {
        var frames = ParseAll("\n\r\n\nSEND\n\na\0\n\r\n\n\nACK\nid:1\n\n\0\r\n");

        Assert.Equal(["SEND", "ACK"], frames.Select(f => f.Command));
    }

    [Fact]
    public void Parse_OnlyHeartbeats_ConsumesThemAndReturnsFalse()
    {
        var buffer = new ReadOnlySequence<byte>(Bytes("\n\r\n\n"));

        Assert.False(Parser().TryParse(ref buffer, out _));
        Assert.True(buffer.IsEmpty);
    }

    [Fact]
    public void Parse_HeartbeatEndingInCr_KeepsTheCrForLater()
    {
        var buffer = new ReadOnlySequence<byte>(Bytes("\n\r"));

        Assert.False(Parser().TryParse(ref buffer, out _));
        Assert.Equal(1, buffer.Length);
    }

    [Fact]
    public void Parse_SeveralFramesInOneBuffer_ReturnsEachInOrder()
    {
        var frames = new[]
        {
            new StompFrame("SEND", [KeyValuePair.Create("destination", "/q/1")], Bytes("one")),
            new StompFrame("SEND", [KeyValuePair.Create("destination", "/q/2")], new byte[] { 0, 0 }),
            new StompFrame("BEGIN", ("transaction", "tx")),
        };
        var data = frames.SelectMany(f => StompFrameWriter.ToArray(f, StompVersion.V1_2)).ToArray();

        var parsed = ParseAll(new ReadOnlySequence<byte>(data));

        Assert.Equal(3, parsed.Count);
        Assert.Equal(["/q/1", "/q/2", null], parsed.Select(f => f["destination"]));
        Assert.Equal(new byte[] { 0, 0 }, parsed[1].Body.ToArray());
    }

    [Fact]
    public void Parse_IncompleteFrame_LeavesBufferAtFrameStart()
    {
        var data = Bytes("\nSEND\ndestination:/q\n\nhel");
        var buffer = new ReadOnlySequence<byte>(data);

        Assert.False(Parser().TryParse(ref buffer, out _));
        Assert.Equal(data.Length - 1, buffer.Length);
    }

    [Fact]
    public void Parse_Body_IsACopyNotASliceOfTheInput()
    {
        var data = Bytes("SEND\n\nabc\0");

        var frame = ParseSingle(data);
        data[6] = (byte)'X';

        Assert.Equal("abc", Encoding.UTF8.GetString(frame.Body.Span));
    }

    [Fact]
    public void Parse_HeaderValuesAreNotTrimmed()
    {
        var frame = ParseSingle("SEND\n key : value \n\n\0");

        Assert.Equal([KeyValuePair.Create(" key ", " value ")], frame.Headers);
    }

    [Fact]
    public void Parse_OnlyFirstColonSplits()
    {
        var frame = ParseSingle("SEND\ndestination:/queue/a:b:c\n\n\0");

        Assert.Equal("/queue/a:b:c", frame["destination"]);
    }

    [Fact]
    public void Parse_CommonHeaderNames_AreInterned()
    {
        var frame = ParseSingle("SEND\ndestination:/q\ncontent-type:text/plain\n\n\0");

        Assert.Same(string.IsInterned("destination"), frame.Headers[0].Key);
        Assert.Same(string.IsInterned("content-type"), frame.Headers[1].Key);
    }

    [Fact]
    public void Parse_UnknownUppercaseCommand_IsLeftToTheSession()
    {
        Assert.Equal("FOO", ParseSingle("FOO\n\n\0").Command);
    }

    [Fact]
    public void Parse_ChangingVersionBetweenFrames_AppliesToTheNextFrame()
    {
        var parser = Parser(StompVersion.V1_0);
        var buffer = new ReadOnlySequence<byte>(Bytes("SEND\nh:a\\nb\n\n\0SEND\nh:a\\nb\n\n\0"));

        Assert.True(parser.TryParse(ref buffer, out var first));
        parser.Version = StompVersion.V1_2;
        Assert.True(parser.TryParse(ref buffer, out var second));

        Assert.Equal("a\\nb", first["h"]);
        Assert.Equal("a\nb", second["h"]);
    }
}
