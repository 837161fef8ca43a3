using System.Net.WebSockets;
using System.Text;
using Broker.Stomp.Protocol;

namespace BrokerConsole.Tests.Stomp;

/// <summary>
/// Every frame the broker writes ends with NUL and a newline, as ActiveMQ's do: PHP's stomp extension reads the two
/// bytes after a content-length body as NUL and newline, and without the newline it swallows the first byte of the
/// next frame when two arrive in one read. Raw sockets, so the bytes are exactly what the broker wrote.
/// </summary>
public sealed class FrameEndTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private TestHost _host = null!;

    public async Task InitializeAsync() => _host = await TestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Theory]
    [InlineData("")]
    [InlineData("1.1")]
    [InlineData("1.2")]
    public async Task ReceiptsAndMessagesInOneRead_EachEndsWithNulAndNewline(string acceptVersion)
    {
        await using var raw = await RawConnection.ConnectAsync(_host.StompPort());
        var header = acceptVersion == "" ? "" : $"accept-version:{acceptVersion}\n";
        var destination = $"/queue/frame-end.{Guid.NewGuid():N}";
        var sends = string.Concat(Enumerable.Range(0, 3).Select(i => $"SEND\ndestination:{destination}\nreceipt:r{i}\n\nmessage {i}\0"));

        // As the PHP client does it: receipted SENDs, then a client-individual subscription that gets them all at once.
        await raw.SendAsync($"CONNECT\n{header}login:admin\npasscode:admin\n\n\0{sends}"
            + $"SUBSCRIBE\ndestination:{destination}\nid:s\nack:client-individual\nreceipt:sub\n\n\0");
        var received = await raw.ReadFramesAsync(8, Wait);
        await raw.SendAsync("DISCONNECT\nreceipt:bye\n\n\0");
        byte[] bytes = [.. received, .. await raw.ReadUntilClosedAsync(Wait)];

        AssertEveryFrameEndsWithNulNewline(bytes, frames: 9);
        var messages = Parse(bytes).Where(f => f.Command == "MESSAGE").Select(f => Encoding.UTF8.GetString(f.Body.Span));
        Assert.Equal(["message 0", "message 1", "message 2"], messages);
    }

    [Fact]
    public async Task Error_EndsWithNulAndNewline()
    {
        await using var raw = await RawConnection.ConnectAsync(_host.StompPort());

        await raw.SendAsync("CONNECT\nlogin:admin\npasscode:wrong\n\n\0");
        var bytes = await raw.ReadUntilClosedAsync(Wait);

        Assert.StartsWith("ERROR\n", Encoding.UTF8.GetString(bytes));
        AssertEveryFrameEndsWithNulNewline(bytes, frames: 1);
    }

    [Fact]
    public async Task WebSocket_EachMessageEndsWithNulAndNewline()
    {
        using var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol("v12.stomp");
        using var cancel = new CancellationTokenSource(Wait);
        await socket.ConnectAsync(new UriBuilder(_host.HttpUri) { Scheme = "ws", Path = "/brokers/b1/stomp" }.Uri, cancel.Token);
        var connect = StompFrameWriter.ToArray(new StompFrame("CONNECT", ("accept-version", "1.2"), ("login", "admin"), ("passcode", "admin")), StompVersion.V1_2);

        await socket.SendAsync(connect, WebSocketMessageType.Text, endOfMessage: true, cancel.Token);
        var buffer = new byte[4096];
        var count = 0;
        while (true)
        {
            var result = await socket.ReceiveAsync(new ArraySegment<byte>(buffer, count, buffer.Length - count), cancel.Token);
            count += result.Count;
            if (result.EndOfMessage)
            {
                break;
            }
        }

        Assert.StartsWith("CONNECTED\n", Encoding.UTF8.GetString(buffer, 0, count));
        AssertEveryFrameEndsWithNulNewline(buffer[..count], frames: 1);
    }

    /// <summary>The bytes hold <paramref name="frames"/> frames with text bodies, each NUL directly followed by a line feed.</summary>
    private static void AssertEveryFrameEndsWithNulNewline(byte[] bytes, int frames)
    {
        var nuls = Enumerable.Range(0, bytes.Length).Where(i => bytes[i] == 0).ToList();
        Assert.Equal(frames, nuls.Count);
        foreach (var i in nuls)
        {
            Assert.True(i + 1 < bytes.Length && bytes[i + 1] == (byte)'\n',
                $"the NUL at byte {i} is followed by {(i + 1 < bytes.Length ? $"0x{bytes[i + 1]:x2}" : "nothing")}: {Encoding.UTF8.GetString(bytes)}");
        }
    }

    /// <summary>The frames in <paramref name="bytes"/>; the escaping does not matter to these tests' headers.</summary>
    private static List<StompFrame> Parse(byte[] bytes)
    {
        var parser = new StompFrameParser(StompLimits.Default);
        var buffer = new System.Buffers.ReadOnlySequence<byte>(bytes);
        var frames = new List<StompFrame>();
        while (parser.TryParse(ref buffer, out var frame))
        {
            frames.Add(frame);
        }
        Assert.True(buffer.IsEmpty, "bytes left after the last frame");
        return frames;
    }
}
