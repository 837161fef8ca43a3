using Broker.Core.Messages;
using Broker.Core.Storage;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net.Sockets;

namespace Broker.Replication.Tests;

/// <summary>A hand-driven slave end of the link: raw packets over a real socket, for what a real slave never sends.</summary>
internal sealed class LinkClient : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly PipeReader _input;

    private LinkClient(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
        _input = PipeReader.Create(_stream);
    }

    public static async Task<LinkClient> ConnectAsync(int port)
    {
        var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync("127.0.0.1", port);
        var client = new LinkClient(tcp);
        await client._stream.WriteAsync(LinkProtocol.Preamble);
        return client;
    }

    /// <summary>A hand-driven slave that logged in, received the one record and acknowledged it: the pair is protected.</summary>
    public static async Task<LinkClient> InSyncSlaveAsync(MasterEndpoint master)
    {
        await master.Journal.Append(new DestinationCreatedRecord(DestinationName.Queue("q"))).Durable;
        var link = await ConnectAsync(master.Port);
        await link.HelloAsync("replicator", "replicator");
        var liveFrom = LinkProtocol.Long(await link.ExpectAsync(LinkProtocol.PacketType.CaughtUp), 0);
        await link.SendAsync(LinkProtocol.PacketType.Ack, LinkProtocol.Longs(liveFrom - 1, liveFrom - 1));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        while (!master.Master.IsInSync)
        {
            await Task.Delay(10, timeout.Token);
        }
        return link;
    }

    public Task HelloAsync(string user, string password, long lastSequence = 0) =>
        SendAsync(LinkProtocol.PacketType.Hello, LinkProtocol.Json(new LinkProtocol.Hello("s1", user, password, lastSequence, [], 1000)));

    public Task SendAsync(LinkProtocol.PacketType type, byte[] payload) =>
        LinkProtocol.WriteAsync(_stream, type, payload, CancellationToken.None);

    /// <summary>Writes raw bytes (a header announcing more than follows, say).</summary>
    public async Task SendRawAsync(byte[] bytes) => await _stream.WriteAsync(bytes);

    public static byte[] Header(LinkProtocol.PacketType type, int length)
    {
        var header = new byte[5];
        header[0] = (byte)type;
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(1), length);
        return header;
    }

    /// <summary>The next packet, or null when the master closed the link.</summary>
    public async Task<(LinkProtocol.PacketType Type, byte[] Payload)?> ReceiveAsync(TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(5));
        try
        {
            return await LinkProtocol.ReadAsync(_input, LinkProtocol.MaxPacket, cancel.Token);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Reads until the packet of <paramref name="type"/> comes (skipping records and pings).</summary>
    public async Task<byte[]> ExpectAsync(LinkProtocol.PacketType type)
    {
        while (true)
        {
            var packet = await ReceiveAsync() ?? throw new Xunit.Sdk.XunitException($"the link closed while waiting for {type}");
            if (packet.Type == type)
            {
                return packet.Payload;
            }
        }
    }

    /// <summary>True when the master closes the link within the timeout (whatever it sends before).</summary>
    public async Task<bool> WaitForCloseAsync(TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(5));
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (await ReceiveAsync(deadline - DateTime.UtcNow) is null)
                {
                    return true;
                }
            }
            catch (OperationCanceledException)
            {
                return false;
            }
            catch (InvalidDataException)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Drops the connection at once (a reset, as a process closing a socket with unread data does).</summary>
    public void Abort()
    {
        _tcp.Client.LingerState = new LingerOption(true, 0);
        _tcp.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await _input.CompleteAsync();
        _tcp.Dispose();
    }
}
