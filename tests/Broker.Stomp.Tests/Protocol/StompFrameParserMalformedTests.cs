using Broker.Stomp.Protocol;
using static Broker.Stomp.Tests.Protocol.Parsing;

namespace Broker.Stomp.Tests.Protocol;

public sealed class StompFrameParserMalformedTests
{
    [Theory]
    [InlineData("send\n\n\0", "invalid character 's' in command")]
    [InlineData("SEND \n\n\0", "invalid character 0x20 in command")]
    [InlineData("SE-ND\n\n\0", "invalid character '-' in command")]
    [InlineData("SEND\rX\n\n\0", "command line contains a carriage return not followed by a line feed")]
    [InlineData("\rSEND\n\n\0", "carriage return not followed by a line feed before a command")]
    [InlineData("\u00c9\n\n\0", "invalid character 0xC3 in command")]
    [InlineData("\0", "invalid character 0x00 in command")]
    public void Parse_BadCommand_Throws(string text, string message)
    {
        Assert.StartsWith(message, ParseThrows(text).Message);
    }

    [Fact]
    public void Parse_GarbageCommand_ThrowsBeforeLineIsComplete()
    {
        Assert.StartsWith("invalid character", ParseThrows("GET / HTTP/1.1").Message);
    }

    [Fact]
    public void Parse_HeaderWithoutColon_Throws()
    {
        Assert.Equal("header line without ':' ('destination')", ParseThrows("SEND\ndestination\n\n\0").Message);
    }

    [Fact]
    public void Parse_HeaderWithEmptyName_Throws()
    {
        Assert.Equal("header line with an empty name", ParseThrows("SEND\n:value\n\n\0").Message);
    }

    [Theory]
    [InlineData("SEND\nh:a\\tb\n\n\0", "invalid escape sequence '\\t' in header")]
    [InlineData("SEND\nh:ab\\\n\n\0", "header ends with an unfinished escape sequence '\\'")]
    [InlineData("SEND\nh\\:v\n\n\0", "header ends with an unfinished escape sequence '\\'")]
    [InlineData("SEND\nh:\\x\n\n\0", "invalid escape sequence '\\x' in header")]
    [InlineData("SEND\nh:\\\u0001\n\n\0", "invalid escape sequence '\\x01' in header")]
    public void Parse_BadEscape_Throws(string text, string message)
    {
        Assert.Equal(message, ParseThrows(text, StompVersion.V1_2).Message);
        Assert.Equal(message, ParseThrows(text, StompVersion.V1_1).Message);
    }

    [Fact]
    public void Parse_BadEscapeInV10_IsLiteral()
    {
        Assert.Equal("a\\tb", ParseSingle("SEND\nh:a\\tb\n\n\0", StompVersion.V1_0)["h"]);
    }

    [Fact]
    public void Parse_BadEscapeInConnect_IsLiteral()
    {
        Assert.Equal("pa\\ss", ParseSingle("CONNECT\npasscode:pa\\ss\n\n\0")["passcode"]);
    }

    [Fact]
    public void Parse_BareCrInHeaderV12_Throws()
    {
        Assert.Equal("header line contains a carriage return not followed by a line feed", ParseThrows("SEND\nh:a\rb\n\n\0").Message);
    }

    [Fact]
    public void Parse_BareCrInHeaderV11_IsData()
    {
        Assert.Equal("a\rb", ParseSingle("SEND\nh:a\rb\n\n\0", StompVersion.V1_1)["h"]);
    }

    [Theory]
    [InlineData(new byte[] { 0xC3, 0x28 })]
    [InlineData(new byte[] { 0xFF })]
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })]
    [InlineData(new byte[] { 0xE2, 0x82 })]
    [InlineData(new byte[] { 0xC0, 0xAF })]
    public void Parse_InvalidUtf8InHeaderValue_Throws(byte[] bad)
    {
        var data = Bytes("SEND\nh:").Concat(bad).Concat(Bytes("\n\n\0")).ToArray();

        Assert.Equal("header value is not valid UTF-8", ParseThrows(data).Message);
    }

    [Fact]
    public void Parse_InvalidUtf8InHeaderName_Throws()
    {
        var data = Bytes("SEND\n").Append((byte)0xFF).Concat(Bytes(":v\n\n\0")).ToArray();

        Assert.Equal("header name is not valid UTF-8", ParseThrows(data).Message);
    }

    [Fact]
    public void Parse_EscapedBytesMakingInvalidUtf8_Throws()
    {
        var data = Bytes("SEND\nh:\\n").Append((byte)0x80).Concat(Bytes("\n\n\0")).ToArray();

        Assert.Equal("header value is not valid UTF-8", ParseThrows(data).Message);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("")]
    [InlineData("-1")]
    [InlineData("+1")]
    [InlineData(" 1")]
    [InlineData("1 ")]
    [InlineData("0x10")]
    [InlineData("١")]
    public void Parse_ContentLengthNotANumber_Throws(string value)
    {
        var ex = ParseThrows($"SEND\ncontent-length:{value}\n\n");

        Assert.Equal($"content-length '{value}' is not a number", ex.Message);
    }

    [Fact]
    public void Parse_ContentLengthNotFollowedByNul_Throws()
    {
        var ex = ParseThrows("SEND\ncontent-length:2\n\nabc\0");

        Assert.StartsWith("frame not terminated by NUL", ex.Message);
    }

    [Fact]
    public void Parse_ContentLengthShortBody_WaitsForMore()
    {
        Assert.True(IsIncomplete(Bytes("SEND\ncontent-length:10\n\nabc\0")));
    }

    [Fact]
    public void Parse_BadContentLengthInLaterOccurrence_IsIgnored()
    {
        Assert.Equal(1, ParseSingle("SEND\ncontent-length:1\ncontent-length:x\n\na\0").Body.Length);
    }
}
