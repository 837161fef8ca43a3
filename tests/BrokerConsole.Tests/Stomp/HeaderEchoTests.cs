using System.Text;
using Broker.Stomp.Protocol;

namespace BrokerConsole.Tests.Stomp;

/// <summary>
/// Client text the broker echoes (a bad destination in an ERROR's message, a receipt id) can never break the frame
/// it is echoed in: a NUL would end the frame early and let the rest read as another one.
/// </summary>
public sealed class HeaderEchoTests : IAsyncLifetime
{
    private const char Replacement = '\uFFFD';
    private TestHost _host = null!;

    public async Task InitializeAsync() => _host = await TestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    /// <param name="wireDestination">the destination header as sent, in the version's own escaping</param>
    /// <param name="echoed">what the ERROR's message must quote, once read back by a parser of that version</param>
    [Theory]
    [InlineData("1.2", "/queue/a\0MESSAGE\\nsubscription:1\\r\\n\\nforged", "/queue/a\uFFFDMESSAGE\nsubscription:1\r\n\nforged")]
    [InlineData("1.1", "/queue/a\0MESSAGE\\nx\ry", "/queue/a\uFFFDMESSAGE\nx\ry")]
    [InlineData("1.0", "/queue/a\0MESSAGE\rx:y", "/queue/a\uFFFDMESSAGE\uFFFDx:y")]
    public async Task SendToDestinationWithNul_ExactlyOneErrorFrameWithTheTextCleaned(string version, string wireDestination, string echoed)
    {
        await using var raw = await RawConnection.ConnectAsync(_host.StompPort());
        var acceptVersion = version == "1.0" ? "" : $"accept-version:{version}\n";

        await raw.SendAsync($"CONNECT\n{acceptVersion}login:admin\npasscode:admin\n\n\0"
            + $"SEND\ndestination:{wireDestination}\nreceipt:r\01\n\nbody\0");
        var bytes = await raw.ReadUntilClosedAsync(TimeSpan.FromSeconds(10));

        // CONNECTED and the ERROR: two NULs, the last byte sent, nothing after it but line ends.
        Assert.Equal(2, bytes.Count(b => b == 0));
        Assert.Equal(0, bytes.AsSpan().TrimEnd("\r\n"u8)[^1]);
        var frames = Parse(bytes, StompVersions.TryParse(version, out var v) ? v : throw new ArgumentException(version));
        Assert.Equal(["CONNECTED", "ERROR"], frames.Select(f => f.Command));
        var error = frames[1];
        Assert.Equal($"destination '{echoed}': the name contains the character U+0000, which is not allowed", error["message"]);
        Assert.Equal($"r{Replacement}1", error["receipt-id"]);
    }

    [Fact]
    public async Task Stomp10Session_ErrorIsNeverEscaped()
    {
        await using var raw = await RawConnection.ConnectAsync(_host.StompPort());

        await raw.SendAsync("CONNECT\nlogin:admin\npasscode:admin\n\n\0SEND\ndestination:/queue/a\0b\rc:d\\e\nreceipt:x:y\n\n\0");
        var text = Encoding.UTF8.GetString(await raw.ReadUntilClosedAsync(TimeSpan.FromSeconds(10)));

        var header = text[text.IndexOf("ERROR\n", StringComparison.Ordinal)..text.IndexOf("\n\n", text.IndexOf("ERROR\n", StringComparison.Ordinal), StringComparison.Ordinal)];
        Assert.Contains("message:destination '/queue/a\uFFFDb\uFFFDc:d\\e': the name contains", header);
        Assert.Contains("\nreceipt-id:x:y", header);
        Assert.DoesNotContain("\\c", header);
        Assert.DoesNotContain('\r', header);
    }

    [Fact]
    public async Task Stomp10LoginFailure_ErrorIsNotEscapedAsStomp12()
    {
        await using var raw = await RawConnection.ConnectAsync(_host.StompPort());

        await raw.SendAsync("CONNECT\nlogin:admin\npasscode:wrong\n\n\0");
        var text = Encoding.UTF8.GetString(await raw.ReadUntilClosedAsync(TimeSpan.FromSeconds(10)));

        Assert.StartsWith("ERROR\n", text);
        Assert.Contains("\nmessage:login failed: unknown user or wrong passcode\n", text);
    }

    [Fact]
    public async Task Stomp12LoginFailure_ErrorIsEscaped()
    {
        await using var raw = await RawConnection.ConnectAsync(_host.StompPort());

        await raw.SendAsync("CONNECT\naccept-version:1.2\nlogin:admin\npasscode:wrong\n\n\0");
        var text = Encoding.UTF8.GetString(await raw.ReadUntilClosedAsync(TimeSpan.FromSeconds(10)));

        Assert.Contains("\nmessage:login failed\\c unknown user or wrong passcode\n", text);
    }

    [Fact]
    public async Task RelayedHeaderWithNul_DroppedFromTheMessageFrame()
    {
        await using var producer = await RawConnection.ConnectAsync(_host.StompPort());
        await using var consumer = await RawConnection.ConnectAsync(_host.StompPort());
        await producer.SendAsync("CONNECT\naccept-version:1.2\nlogin:admin\npasscode:admin\n\n\0"
            + "SEND\ndestination:/queue/relay\nx-forged:a\0MESSAGE\nreceipt:sent\n\npayload\0");
        await producer.ReadFramesAsync(2, TimeSpan.FromSeconds(10));

        await consumer.SendAsync("CONNECT\naccept-version:1.2\nlogin:admin\npasscode:admin\n\n\0"
            + "SUBSCRIBE\ndestination:/queue/relay\nid:s\n\n\0");
        var frames = Parse(await consumer.ReadFramesAsync(2, TimeSpan.FromSeconds(10)), StompVersion.V1_2);

        Assert.Equal(["CONNECTED", "MESSAGE"], frames.Select(f => f.Command));
        Assert.Null(frames[1]["x-forged"]);
        Assert.Equal("payload", Encoding.UTF8.GetString(frames[1].Body.Span));
    }

    [Fact]
    public async Task Stomp10Consumer_RelayedHeadersNeverEscapedAndALineEndNeverBreaksTheFrame()
    {
        await using var producer = await RawConnection.ConnectAsync(_host.StompPort());
        await using var consumer = await RawConnection.ConnectAsync(_host.StompPort());
        await producer.SendAsync("CONNECT\naccept-version:1.2\nlogin:admin\npasscode:admin\n\n\0"
            + "SEND\ndestination:/queue/relay10\nx-colon:a\\cb\nx-lines:one\\ntwo\\r\nx-back:c\\\\d\nreceipt:sent\n\npayload\0");
        await producer.ReadFramesAsync(2, TimeSpan.FromSeconds(10));

        await consumer.SendAsync("CONNECT\nlogin:admin\npasscode:admin\n\n\0SUBSCRIBE\ndestination:/queue/relay10\nid:s\n\n\0");
        var text = Encoding.UTF8.GetString(await consumer.ReadFramesAsync(2, TimeSpan.FromSeconds(10)));

        // 1.0 has no escapes: a colon and a backslash go as they are, a value with a line end cannot go at all.
        var message = text[text.IndexOf("MESSAGE\n", StringComparison.Ordinal)..];
        Assert.Contains("\nx-colon:a:b\n", message);
        Assert.Contains("\nx-back:c\\d\n", message);
        Assert.DoesNotContain("x-lines", message);
        Assert.EndsWith("\n\npayload\0", message);
    }

    private static List<StompFrame> Parse(byte[] bytes, StompVersion version)
    {
        var parser = new StompFrameParser(StompLimits.Default);
        var buffer = new System.Buffers.ReadOnlySequence<byte>(bytes);
        var frames = new List<StompFrame>();
        while (parser.TryParse(ref buffer, out var frame))
        {
            frames.Add(frame);
            // The handshake is never escaped; what follows CONNECTED is in the negotiated version.
            parser.Version = version;
        }
        Assert.True(buffer.IsEmpty || System.Buffers.BuffersExtensions.ToArray(buffer).All(b => b is (byte)'\n' or (byte)'\r'), "bytes left after the last frame");
        return frames;
    }
}
