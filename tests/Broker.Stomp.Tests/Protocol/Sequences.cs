using System.Buffers;

namespace Broker.Stomp.Tests.Protocol;

/// <summary>Builds multi-segment sequences, the shape a PipeReader hands out when data arrives in pieces.</summary>
internal static class Sequences
{
    public static ReadOnlySequence<byte> FromChunks(params ReadOnlyMemory<byte>[] chunks)
    {
        if (chunks.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }
        var first = new Segment(chunks[0]);
        var last = first;
        foreach (var chunk in chunks.Skip(1))
        {
            last = last.Append(chunk);
        }
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    public static ReadOnlySequence<byte> SplitAt(byte[] data, int position) =>
        FromChunks(data.AsMemory(0, position), data.AsMemory(position));

    public static ReadOnlySequence<byte> OneBytePerSegment(byte[] data) =>
        FromChunks(Enumerable.Range(0, data.Length).Select(i => (ReadOnlyMemory<byte>)data.AsMemory(i, 1)).ToArray());

    public sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}

/// <summary>
/// Mimics a PipeReader: chunks are appended to a stable linked list of segments and the parser's unconsumed
/// remainder is handed back on the next read, so its resume-where-it-stopped bookkeeping is exercised.
/// </summary>
internal sealed class ChunkFeeder
{
    private Sequences.Segment? _head;
    private Sequences.Segment? _tail;
    private SequencePosition _start;

    public ReadOnlySequence<byte> Buffer { get; private set; } = ReadOnlySequence<byte>.Empty;

    public void Append(ReadOnlyMemory<byte> chunk)
    {
        if (chunk.IsEmpty)
        {
            return;
        }
        if (_tail is null)
        {
            _head = _tail = new Sequences.Segment(chunk);
            _start = new SequencePosition(_head, 0);
        }
        else
        {
            _tail = _tail.Append(chunk);
        }
        Buffer = new ReadOnlySequence<byte>((Sequences.Segment)_start.GetObject()!, _start.GetInteger(), _tail, _tail.Memory.Length);
    }

    /// <summary>What the caller does after TryParse: <c>AdvanceTo(buffer.Start, buffer.End)</c>.</summary>
    public void AdvanceTo(ReadOnlySequence<byte> remaining)
    {
        Buffer = remaining;
        _start = remaining.Start;
        if (remaining.IsEmpty)
        {
            // Like a pipe, drop fully consumed segments.
            _head = _tail = null;
            Buffer = ReadOnlySequence<byte>.Empty;
        }
    }
}
