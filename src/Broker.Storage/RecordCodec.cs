using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using Broker.Core.Messages;
using Broker.Core.Scheduling;
using Broker.Core.Storage;

namespace Broker.Storage;

/// <summary>
/// The journal's record format. Every record is a fixed header then a payload:
/// <code>
///  0        4        8      9      10        12                20                28
///  +--------+--------+------+------+---------+-----------------+-----------------+-------------+
///  | length |  crc   | type | vers | reserved|  epoch (u64)    | sequence (u64)  | payload ... |
///  +--------+--------+------+------+---------+-----------------+-----------------+-------------+
///  length = payload bytes; crc = CRC32C of bytes 8 .. 28+length; all integers little-endian.
/// </code>
/// A zero length with a zero CRC marks the end of written data in a preallocated segment. The same bytes
/// are what replication ships, so a slave appends exactly what its master wrote.
/// </summary>
public static class RecordCodec
{
    public const int HeaderSize = 28;
    private const byte FormatVersion = 1;

    public enum RecordType : byte
    {
        DestinationCreated = 1,
        DestinationDeleted = 2,
        DurableSubscriptionCreated = 3,
        DurableSubscriptionRemoved = 4,
        MessageAdded = 5,
        MessageRemoved = 6,
        MessageDelivered = 7,
        Transaction = 8,
        ProducerMark = 9,
        TransactionCommitted = 10,
        JobScheduled = 11,
        JobAdvanced = 12,
        JobRemoved = 13,

        // A durable subscription with a selector; without one it is still written as DurableSubscriptionCreated.
        DurableSubscriptionCreatedWithSelector = 20,
    }

    /// <summary>Writes one whole record (header and payload) and returns its length.</summary>
    public static int Write(ArrayBufferWriter<byte> output, StoreRecord record, long epoch, long sequence)
    {
        var start = output.WrittenCount;
        output.GetSpan(HeaderSize);
        output.Advance(HeaderSize);
        var payload = new PayloadWriter(output);
        WritePayload(ref payload, record);
        var length = output.WrittenCount - start - HeaderSize;
        // The buffer may have moved while the payload grew: address the header only now.
        var written = System.Runtime.InteropServices.MemoryMarshal.AsMemory(output.WrittenMemory).Span[start..];
        var header = written[..HeaderSize];
        BinaryPrimitives.WriteInt32LittleEndian(header, length);
        header[8] = (byte)TypeOf(record);
        header[9] = FormatVersion;
        header[10] = header[11] = 0;
        BinaryPrimitives.WriteInt64LittleEndian(header[12..], epoch);
        BinaryPrimitives.WriteInt64LittleEndian(header[20..], sequence);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], Crc32C(written[8..]));
        return HeaderSize + length;
    }

    public readonly record struct Header(int Length, uint Crc, RecordType Type, long Epoch, long Sequence)
    {
        public int TotalLength => HeaderSize + Length;

        public bool IsEnd => Length == 0 && Crc == 0 && Type == 0;
    }

    public static Header ReadHeader(ReadOnlySpan<byte> bytes) => new(
        BinaryPrimitives.ReadInt32LittleEndian(bytes),
        BinaryPrimitives.ReadUInt32LittleEndian(bytes[4..]),
        (RecordType)bytes[8],
        BinaryPrimitives.ReadInt64LittleEndian(bytes[12..]),
        BinaryPrimitives.ReadInt64LittleEndian(bytes[20..]));

    /// <summary>Whether <paramref name="record"/> (header included) is whole and unaltered.</summary>
    public static bool IsValid(ReadOnlySpan<byte> record, Header header) =>
        header.Length >= 0
        && header.TotalLength <= record.Length
        && Enum.IsDefined(header.Type)
        && Crc32C(record[8..header.TotalLength]) == header.Crc;

    /// <summary>How many sequence numbers a whole record takes (a transaction takes one per operation).</summary>
    public static int SequenceCount(ReadOnlySpan<byte> record)
    {
        var header = ReadHeader(record);
        if (header.Type != RecordType.Transaction)
        {
            return 1;
        }
        var reader = new PayloadReader(record.Slice(HeaderSize, header.Length));
        return Math.Max(1, (int)reader.Long());
    }

    public static StoreRecord Decode(Header header, ReadOnlySpan<byte> payload)
    {
        var reader = new PayloadReader(payload);
        return ReadPayload(ref reader, header.Type);
    }

    private static uint Crc32C(ReadOnlySpan<byte> bytes) => Crc32.HashToUInt32(Crc32ParameterSet.Crc32C, bytes);

    private static RecordType TypeOf(StoreRecord record) => record switch
    {
        DestinationCreatedRecord => RecordType.DestinationCreated,
        DestinationDeletedRecord => RecordType.DestinationDeleted,
        DurableSubscriptionCreatedRecord { Selector: null } => RecordType.DurableSubscriptionCreated,
        DurableSubscriptionCreatedRecord => RecordType.DurableSubscriptionCreatedWithSelector,
        DurableSubscriptionRemovedRecord => RecordType.DurableSubscriptionRemoved,
        MessageAddedRecord => RecordType.MessageAdded,
        MessageRemovedRecord => RecordType.MessageRemoved,
        MessageDeliveredRecord => RecordType.MessageDelivered,
        TransactionRecord => RecordType.Transaction,
        ProducerMarkRecord => RecordType.ProducerMark,
        TransactionCommittedRecord => RecordType.TransactionCommitted,
        JobScheduledRecord => RecordType.JobScheduled,
        JobAdvancedRecord => RecordType.JobAdvanced,
        JobRemovedRecord => RecordType.JobRemoved,
        _ => throw new ArgumentException($"no journal format for {record.GetType().Name}"),
    };

    private static void WritePayload(ref PayloadWriter w, StoreRecord record)
    {
        switch (record)
        {
            case DestinationCreatedRecord r: w.Destination(r.Destination); break;
            case DestinationDeletedRecord r: w.Destination(r.Destination); break;
            case DurableSubscriptionCreatedRecord r:
                w.Key(r.Subscription);
                if (r.Selector is not null)
                {
                    w.String(r.Selector);
                }
                break;
            case DurableSubscriptionRemovedRecord r: w.Key(r.Subscription); break;
            case MessageAddedRecord r:
                w.Key(r.Queue);
                w.String(r.ProducerId);
                w.Long(r.ProducerSequence);
                w.Message(r.Message);
                break;
            case MessageRemovedRecord r:
                w.Key(r.Queue);
                w.Long(r.MessageSequence);
                w.Byte((byte)r.Reason);
                break;
            case MessageDeliveredRecord r:
                w.Key(r.Queue);
                w.Long(r.MessageSequence);
                w.Long(r.DeliveryCount);
                break;
            case TransactionRecord r:
                w.Long(r.Operations.Count);
                foreach (var operation in r.Operations)
                {
                    w.Byte((byte)TypeOf(operation));
                    WritePayload(ref w, operation);
                }
                break;
            case ProducerMarkRecord r:
                w.String(r.ProducerId);
                w.Long(r.ProducerSequence);
                break;
            case TransactionCommittedRecord r:
                w.String(r.User);
                w.String(r.TransactionId);
                w.Long(r.CommittedAtMs);
                break;
            // A job: id, when it was scheduled, its schedule (delay, period, repeat, cron), its position, its message.
            case JobScheduledRecord r:
                w.String(r.Job.JobId);
                w.Long(r.Job.ScheduledAtMs);
                w.Long(r.Job.Schedule.DelayMs);
                w.Long(r.Job.Schedule.PeriodMs);
                w.Long(r.Job.Schedule.Repeat);
                w.String(r.Job.Schedule.Cron);
                w.Position(r.Position);
                w.Message(r.Job.Message);
                break;
            case JobAdvancedRecord r:
                w.String(r.JobId);
                w.Position(r.Position);
                break;
            case JobRemovedRecord r:
                w.String(r.JobId);
                w.Byte((byte)r.Reason);
                break;
        }
    }

    private static StoreRecord ReadPayload(ref PayloadReader r, RecordType type) => type switch
    {
        RecordType.DestinationCreated => new DestinationCreatedRecord(r.Destination()),
        RecordType.DestinationDeleted => new DestinationDeletedRecord(r.Destination()),
        RecordType.DurableSubscriptionCreated => new DurableSubscriptionCreatedRecord(r.Key()),
        RecordType.DurableSubscriptionCreatedWithSelector => new DurableSubscriptionCreatedRecord(r.Key(), r.String()),
        RecordType.DurableSubscriptionRemoved => new DurableSubscriptionRemovedRecord(r.Key()),
        RecordType.MessageAdded => ReadMessageAdded(ref r),
        RecordType.MessageRemoved => new MessageRemovedRecord(r.Key(), r.Long(), (RemovalReason)r.Byte()),
        RecordType.MessageDelivered => new MessageDeliveredRecord(r.Key(), r.Long(), (int)r.Long()),
        RecordType.Transaction => ReadTransaction(ref r),
        RecordType.ProducerMark => new ProducerMarkRecord(r.String()!, r.Long()),
        RecordType.TransactionCommitted => new TransactionCommittedRecord(r.String()!, r.String()!, r.Long()),
        RecordType.JobScheduled => ReadJobScheduled(ref r),
        RecordType.JobAdvanced => new JobAdvancedRecord(r.String()!, r.Position()),
        RecordType.JobRemoved => new JobRemovedRecord(r.String()!, (JobRemovalReason)r.Byte()),
        _ => throw new InvalidDataException($"unknown record type {(byte)type}"),
    };

    private static MessageAddedRecord ReadMessageAdded(ref PayloadReader r)
    {
        // Fields in written order; a record's constructor order differs.
        var queue = r.Key();
        var producerId = r.String();
        var producerSequence = r.Long();
        return new MessageAddedRecord(queue, r.Message(), producerId, producerSequence);
    }

    private static JobScheduledRecord ReadJobScheduled(ref PayloadReader r)
    {
        var jobId = r.String()!;
        var scheduledAt = r.Long();
        var schedule = new ScheduleSpec(r.Long(), r.Long(), (int)r.Long(), r.String());
        var position = r.Position();
        return new JobScheduledRecord(new JobDefinition(jobId, r.Message(), schedule, scheduledAt), position);
    }

    private static TransactionRecord ReadTransaction(ref PayloadReader r)
    {
        var count = (int)r.Long();
        var operations = new List<StoreRecord>(Math.Min(count, 4096));
        for (var i = 0; i < count; i++)
        {
            operations.Add(ReadPayload(ref r, (RecordType)r.Byte()));
        }
        return new TransactionRecord(operations);
    }

    private ref struct PayloadWriter(ArrayBufferWriter<byte> output)
    {
        public void Byte(byte value)
        {
            output.GetSpan(1)[0] = value;
            output.Advance(1);
        }

        public void Long(long value)
        {
            // Zig-zag varint: small numbers (counts, sequences of young journals) take a byte or two.
            var zigzag = (ulong)((value << 1) ^ (value >> 63));
            var span = output.GetSpan(10);
            var i = 0;
            while (zigzag >= 0x80)
            {
                span[i++] = (byte)(zigzag | 0x80);
                zigzag >>= 7;
            }
            span[i++] = (byte)zigzag;
            output.Advance(i);
        }

        public void Bytes(ReadOnlySpan<byte> bytes)
        {
            Long(bytes.Length);
            output.Write(bytes);
        }

        public void String(string? value)
        {
            if (value is null)
            {
                Long(-1);
                return;
            }
            var length = Encoding.UTF8.GetByteCount(value);
            Long(length);
            Encoding.UTF8.GetBytes(value, output.GetSpan(length));
            output.Advance(length);
        }

        public void Destination(DestinationName destination)
        {
            Byte((byte)destination.Kind);
            String(destination.Name);
        }

        public void Key(QueueKey key)
        {
            String(key.Queue);
            String(key.Topic);
            String(key.ClientId);
            String(key.Subscription);
        }

        public void Position(JobPosition position)
        {
            Long(position.NextDueMs);
            Long(position.RepeatsLeft);
            Long(position.CycleStartMs);
            Long(position.Fired);
        }

        public void Message(Message message)
        {
            String(message.MessageId);
            Destination(message.Destination);
            Byte(message.Priority);
            Byte(message.Persistent ? (byte)1 : (byte)0);
            Long(message.Timestamp);
            Long(message.Expires);
            Long(message.Headers.Count);
            foreach (var (name, value) in message.Headers)
            {
                String(name);
                String(value);
            }
            Bytes(message.Body.Span);
        }
    }

    private ref struct PayloadReader(ReadOnlySpan<byte> payload)
    {
        private ReadOnlySpan<byte> _rest = payload;

        public byte Byte()
        {
            var value = _rest[0];
            _rest = _rest[1..];
            return value;
        }

        public long Long()
        {
            ulong result = 0;
            for (var shift = 0; shift < 70; shift += 7)
            {
                var b = Byte();
                result |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return (long)(result >> 1) ^ -(long)(result & 1);
                }
            }
            throw new InvalidDataException("malformed number in journal record");
        }

        public ReadOnlySpan<byte> Bytes()
        {
            var length = checked((int)Long());
            var bytes = _rest[..length];
            _rest = _rest[length..];
            return bytes;
        }

        public string? String()
        {
            var length = Long();
            if (length < 0)
            {
                return null;
            }
            var value = Encoding.UTF8.GetString(_rest[..checked((int)length)]);
            _rest = _rest[(int)length..];
            return value;
        }

        public DestinationName Destination() => new((DestinationKind)Byte(), String()!);

        public QueueKey Key() => new(String()!, String(), String(), String());

        public JobPosition Position() => new(Long(), (int)Long(), Long(), Long());

        public Message Message()
        {
            var id = String()!;
            var destination = Destination();
            var priority = Byte();
            var persistent = Byte() == 1;
            var timestamp = Long();
            var expires = Long();
            var headerCount = (int)Long();
            var headers = new KeyValuePair<string, string>[headerCount];
            for (var i = 0; i < headerCount; i++)
            {
                headers[i] = new(String()!, String()!);
            }
            return new Message
            {
                MessageId = id,
                Destination = destination,
                Priority = priority,
                Persistent = persistent,
                Timestamp = timestamp,
                Expires = expires,
                Headers = headers,
                Body = Bytes().ToArray(),
            };
        }
    }
}
