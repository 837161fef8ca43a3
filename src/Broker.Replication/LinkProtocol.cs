using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Text.Json;

namespace Broker.Replication;

/// <summary>
/// The replication link, served on the master's client port after the preamble <c>BCREPL/1\n</c>.
/// Every packet is <c>type (u8) | length (u32 LE) | payload</c>, one message type per packet:
/// <code>
///  slave  -> master   Hello      JSON: slave name, credentials, epoch history, last sequence held
///  master -> slave    Welcome    JSON: master name, epoch, how the slave resyncs (tail or snapshot)
///  master -> slave    Refused    JSON: why (credentials, a slave already attached...)
///  master -> slave    Records    journal records back to back, exactly as the master's journal wrote them
///  master -> slave    CaughtUp   u64: the sequence from which records flow live (the slave is in sync)
///  master -> slave    Ping       u64 master's last sequence (heart-beat when idle)
///  slave  -> master   Ack        u64 last received, u64 last durable
///  slave  -> master   SwitchoverRequest   (empty) the slave asks the master to hand over (operator, failback)
///  master -> slave    Handover   u64: the master's final sequence; it takes no more writes
///  slave  -> master   TakenOver  JSON: the slave serves now on this port (or why it refused)
///  slave  -> master   Promoting  JSON: an operator promotes the slave; the master must stop serving and rejoin it
///  master -> slave    SwitchoverRefused  JSON: why the master will not hand over now (answer to SwitchoverRequest)
///  master -> slave    Stopping   (empty) the master stops on purpose (its host shuts down): not a failure, do not take over
/// </code>
/// </summary>
internal static class LinkProtocol
{
    public static readonly byte[] Preamble = "BCREPL/1\n"u8.ToArray();
    /// <summary>The largest packet of records the master ships (and the slave accepts).</summary>
    public const int MaxPacket = 128 * 1024 * 1024;

    /// <summary>
    /// The largest packet a master reads: the Hello before login, then acks and small requests. A stranger
    /// that never logs in can make the master hold no more than this.
    /// </summary>
    public const int MaxControlPacket = 64 * 1024;

    public enum PacketType : byte
    {
        Hello = 1,
        Welcome = 2,
        Refused = 3,
        Records = 4,
        Ack = 5,
        Ping = 6,
        CaughtUp = 7,
        SwitchoverRequest = 8,
        Handover = 9,
        TakenOver = 10,
        Promoting = 11,
        SwitchoverRefused = 12,
        Stopping = 13,
    }

    /// <summary>
    /// The slave's opening; <paramref name="MasterTimeoutMs"/>: how long it waits for a heart-beat before it takes
    /// over; <paramref name="ClientPort"/>/<paramref name="ClientTls"/>: where it would serve clients (0: unknown), so
    /// a master stopped meanwhile finds its partner serving there.
    /// </summary>
    public sealed record Hello(string Slave, string? UserName, string? Password, long LastSequence, long[][] Epochs, long MasterTimeoutMs,
        int ClientPort = 0, bool ClientTls = false);

    /// <summary>The master's answer to Hello; <paramref name="AckOnReceipt"/>: the master's receipts wait for "received" acks (ReplicationAck: Received).</summary>
    public sealed record Welcome(string Master, long Epoch, long LastSequence, bool Snapshot, long DivergedAt, long[][] Epochs, bool AckOnReceipt);

    public sealed record Refused(string Reason);

    /// <summary>The slave's answer to a handover: its client port once it serves, or why it did not take over.</summary>
    public sealed record TakenOver(int Port, string? Refusal, bool Tls = false);

    /// <summary>An operator promotes the slave: the master is fenced and rejoins it on this client port.</summary>
    public sealed record Promoting(long Epoch, int Port, bool Tls = false);

    public static byte[] Json<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value);

    public static T FromJson<T>(byte[] payload) => JsonSerializer.Deserialize<T>(payload) ?? throw new InvalidDataException("empty replication packet");

    public static byte[] Longs(params long[] values)
    {
        var bytes = new byte[values.Length * 8];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * 8), values[i]);
        }
        return bytes;
    }

    public static long Long(byte[] payload, int index) => BinaryPrimitives.ReadInt64LittleEndian(payload.AsSpan(index * 8));

    /// <summary>Writes one packet; callers serialise writers on the stream themselves.</summary>
    public static async Task WriteAsync(Stream stream, PacketType type, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var header = new byte[5];
        header[0] = (byte)type;
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(1), payload.Length);
        await stream.WriteAsync(header, cancellationToken);
        await stream.WriteAsync(payload, cancellationToken);
    }

    /// <summary>The next packet, or null when the peer closed the link.</summary>
    /// <exception cref="InvalidDataException">The packet announces more than <paramref name="maxPacket"/> bytes (nothing more is read).</exception>
    public static async Task<(PacketType Type, byte[] Payload)?> ReadAsync(PipeReader input, int maxPacket, CancellationToken cancellationToken)
    {
        var header = new byte[5];
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            if (buffer.Length >= 5)
            {
                buffer.Slice(0, 5).CopyTo(header);
                var length = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(1));
                if (length < 0 || length > maxPacket)
                {
                    throw new InvalidDataException($"a replication packet of {length} bytes (at most {maxPacket} here)");
                }
                if (buffer.Length >= 5 + length)
                {
                    var payload = buffer.Slice(5, length).ToArray();
                    input.AdvanceTo(buffer.GetPosition(5 + length));
                    return ((PacketType)header[0], payload);
                }
            }
            input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                return null;
            }
        }
    }
}

/// <summary>One side's writes on a link: one packet at a time (acks and replies come from several tasks), each flushed.</summary>
internal sealed class LinkWriter(Stream stream)
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async Task WriteAsync(LinkProtocol.PacketType type, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await LinkProtocol.WriteAsync(stream, type, payload, cancellationToken);
            await stream.FlushAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }
}
