using System.Buffers;
using System.Text;
using Broker.Stomp.Protocol;

namespace Broker.Stomp.Tests.Protocol;

public sealed class StompFrameWriterTests
{
    private static string Write(StompFrame frame, StompVersion version = StompVersion.V1_2,
        UnrepresentableHeaders unrepresentable = UnrepresentableHeaders.Replace) =>
        Encoding.UTF8.GetString(StompFrameWriter.ToArray(frame, version, unrepresentable));

    [Fact]
    public void Write_EmptyBody_AddsNoContentLength()
    {
        Assert.Equal("DISCONNECT\nreceipt:77\n\n\0", Write(new StompFrame("DISCONNECT", ("receipt", "77"))));
    }

    [Fact]
    public void Write_NonEmptyBody_AddsContentLengthAfterOtherHeaders()
    {
        var frame = new StompFrame("MESSAGE", [KeyValuePair.Create("destination", "/q")], Encoding.UTF8.GetBytes("héllo"));

        Assert.Equal("MESSAGE\ndestination:/q\ncontent-length:6\n\nhéllo\0", Write(frame));
    }

    [Fact]
    public void Write_ExistingContentLength_IsNotDuplicated()
    {
        var frame = new StompFrame("SEND", [KeyValuePair.Create("content-length", "2")], new byte[] { 1, 2 });

        Assert.Equal("SEND\ncontent-length:2\n\n\u0001\u0002\0", Write(frame));
    }

    [Fact]
    public void Write_ContentLengthNotMatchingBody_Throws()
    {
        var frame = new StompFrame("SEND", [KeyValuePair.Create("content-length", "3")], new byte[] { 1, 2 });

        Assert.Throws<ArgumentException>(() => Write(frame));
    }

    [Fact]
    public void Write_ConnectedWithSpecialCharacters_IsNotEscaped()
    {
        Assert.Equal("CONNECTED\nserver:a:b\\c\n\n\0", Write(new StompFrame("CONNECTED", ("server", "a:b\\c"))));
    }

    [Theory]
    [InlineData(StompVersion.V1_0, "h", "a\nb")]
    [InlineData(StompVersion.V1_0, "a:b", "v")]
    [InlineData(StompVersion.V1_0, "h", "ends in cr\r")]
    [InlineData(StompVersion.V1_0, "h", "mid\rcr")]
    [InlineData(StompVersion.V1_1, "h", "ends in cr\r")]
    [InlineData(StompVersion.V1_2, "h", "nul\0inside")]
    [InlineData(StompVersion.V1_1, "nul\0name", "v")]
    [InlineData(StompVersion.V1_0, "h", "\0")]
    public void Write_UnrepresentableHeaderWhenAskedToThrow_ThrowsAndWritesNothing(StompVersion version, string name, string value)
    {
        var output = new ArrayBufferWriter<byte>();

        Assert.Throws<ArgumentException>(() => StompFrameWriter.Write(output, new StompFrame("SEND", ("ok", "1"), (name, value)), version, UnrepresentableHeaders.Throw));
        Assert.Equal(0, output.WrittenCount);
    }

    [Theory]
    [InlineData(StompVersion.V1_2, "h", "a\0b", "h:a\uFFFDb")]
    [InlineData(StompVersion.V1_2, "h", "a\0b\r\n:\\", "h:a\uFFFDb\\r\\n\\c\\\\")]
    [InlineData(StompVersion.V1_1, "h", "a\0b\rc\n:", "h:a\uFFFDb\rc\\n\\c")]
    [InlineData(StompVersion.V1_1, "h", "ends in cr\r", "h:ends in cr\uFFFD")]
    [InlineData(StompVersion.V1_0, "h", "a\0b\rc\nd:e\\f", "h:a\uFFFDb\uFFFDc\uFFFDd:e\\f")]
    [InlineData(StompVersion.V1_0, "a:b\0", "v", "a\uFFFDb\uFFFD:v")]
    public void Write_UnrepresentableHeader_ReplacedAndTheRestEscapedAsTheVersionSays(StompVersion version, string name, string value, string line)
    {
        var text = Write(new StompFrame("ERROR", (name, value)), version);

        Assert.Equal($"ERROR\n{line}\n\n\0", text);
        Assert.Single(text, '\0');
    }

    [Fact]
    public void Write_LineFeedInConnectedHeader_Replaced()
    {
        Assert.Equal("CONNECTED\nserver:a\uFFFDb\uFFFDc\n\n\0", Write(new StompFrame("CONNECTED", ("server", "a\nb\rc"))));
        Assert.Throws<ArgumentException>(() => Write(new StompFrame("CONNECTED", ("server", "a\nb")), unrepresentable: UnrepresentableHeaders.Throw));
    }

    [Fact]
    public void Write_EmptyHeaderName_ThrowsInEveryMode()
    {
        Assert.Throws<ArgumentException>(() => Write(new StompFrame("SEND", ("", "v"))));
        Assert.Throws<ArgumentException>(() => Write(new StompFrame("SEND", ("", "v")), unrepresentable: UnrepresentableHeaders.Throw));
    }

    [Theory]
    [InlineData(StompVersion.V1_2, "a\0b", false)]
    [InlineData(StompVersion.V1_2, "a\r\n:\\", true)]
    [InlineData(StompVersion.V1_1, "a\rb", true)]
    [InlineData(StompVersion.V1_1, "ab\r", false)]
    [InlineData(StompVersion.V1_0, "a\rb", false)]
    [InlineData(StompVersion.V1_0, "a:b\\", true)]
    public void CanCarry_SaysWhetherARelayedValueSurvivesUnchanged(StompVersion version, string value, bool expected)
    {
        Assert.Equal(expected, StompFrameWriter.CanCarry("h", value, version));
    }

    [Theory]
    [InlineData("send")]
    [InlineData("")]
    [InlineData("SEND\nX")]
    public void Write_InvalidCommand_Throws(string command)
    {
        Assert.Throws<ArgumentException>(() => Write(new StompFrame(command)));
    }

    [Fact]
    public void Write_IntoSmallSegmentWriter_GivesSameBytes()
    {
        var frame = new StompFrame("SEND", [KeyValuePair.Create("dëst", new string('x', 5000) + ":\n")], new byte[3000]);
        var writer = new TinySegmentWriter();

        StompFrameWriter.Write(writer, frame, StompVersion.V1_2);

        Assert.Equal(StompFrameWriter.ToArray(frame, StompVersion.V1_2), writer.ToArray());
    }

    /// <summary>Hands out exactly the size asked for, to catch writes past GetSpan.</summary>
    private sealed class TinySegmentWriter : IBufferWriter<byte>
    {
        private readonly List<byte> _written = [];
        private byte[] _current = [];

        public void Advance(int count)
        {
            Assert.InRange(count, 0, _current.Length);
            _written.AddRange(_current.AsSpan(0, count).ToArray());
            _current = [];
        }

        public Memory<byte> GetMemory(int sizeHint = 0) => _current = new byte[Math.Max(sizeHint, 1)];

        public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

        public byte[] ToArray() => [.. _written];
    }
}
