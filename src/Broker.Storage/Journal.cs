using System.Buffers;
using Broker.Core.Messages;
using Broker.Core.Storage;
using Microsoft.Extensions.Logging;

namespace Broker.Storage;

/// <summary>
/// The append-only journal of one broker: preallocated segment files of fixed size, checksummed records with
/// an epoch and a sequence number, and group commit. <see cref="Append"/> assigns the sequence and copies the
/// record into the pending batch under a short lock; one flusher writes the batch and calls fdatasync once
/// for everything appended meanwhile, so concurrent producers share a flush instead of paying one each.
/// Partial files: recovery (<c>Journal.Recovery.cs</c>), the live-record index and compaction
/// (<c>Journal.Compaction.cs</c>), and reading back (<c>Journal.Reading.cs</c>).
/// </summary>
public sealed partial class Journal : IMessageStore
{
    private readonly Lock _lock = new();
    private readonly string _directory;
    private readonly JournalOptions _options;
    private readonly ILogger _logger;
    private readonly DataDirectoryLock _directoryLock;
    private readonly List<Segment> _segments = [];
    private readonly SemaphoreSlim _flushSignal = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ArrayBufferWriter<byte> _scratch = new(64 * 1024);
    private List<PendingChunk> _pending = [];
    private TaskCompletionSource _batch = NewBatch();
    private TaskCompletionSource? _inFlightBatch;
    private long _inFlightLast;
    private long _nextSequence = 1;
    private long _durableSequence;
    private long _flushCount;
    private Exception? _failure;
    private Task? _flusher;
    private bool _replayed;

    private Journal(string directory, JournalOptions options, ILogger logger, DataDirectoryLock directoryLock)
    {
        _directory = directory;
        _options = options;
        _logger = logger;
        _directoryLock = directoryLock;
        Epochs = new EpochHistory(directory);
    }

    /// <summary>The epoch new records are written in (replication's fencing number; 0 before the first promotion).</summary>
    public long Epoch => Epochs.Current;

    public EpochHistory Epochs { get; }

    public long FirstSequence { get; private set; } = 1;

    public long LastSequence
    {
        get { lock (_lock) { return _nextSequence - 1; } }
    }

    public long DurableSequence => Interlocked.Read(ref _durableSequence);

    /// <summary>fdatasync batches so far: with group commit, far fewer than records under concurrent load.</summary>
    public long FlushCount => Interlocked.Read(ref _flushCount);

    public long UsedBytes
    {
        get { lock (_lock) { return _segments.Sum(s => s.Size); } }
    }

    public long Limit => _options.StoreLimit;

    public int SegmentCount
    {
        get { lock (_lock) { return _segments.Count; } }
    }

    /// <summary>Takes the data directory's lock and opens the journal in it; call <see cref="Replay"/> next.</summary>
    public static Journal Open(string directory, string brokerName, JournalOptions options, ILogger logger)
    {
        var directoryLock = DataDirectoryLock.Acquire(directory, brokerName);
        try
        {
            return new Journal(directory, options, logger, directoryLock);
        }
        catch
        {
            directoryLock.Dispose();
            throw;
        }
    }

    public StoreTicket Append(StoreRecord record)
    {
        lock (_lock)
        {
            if (!_replayed)
            {
                throw new InvalidOperationException("the journal must be replayed before it is appended to");
            }
            if (_failure is not null)
            {
                throw new StoreFullException($"the journal cannot be written: {_failure.Message}");
            }
            var addsData = record is MessageAddedRecord or TransactionRecord;
            if (addsData && _options.StoreLimit > 0 && _segments.Sum(s => s.WriteOffset) >= _options.StoreLimit)
            {
                throw new StoreFullException($"the store limit ({_options.StoreLimit} bytes) is reached; persistent messages are refused until consumers catch up");
            }
            var sequence = _nextSequence;
            _scratch.ResetWrittenCount();
            var length = RecordCodec.Write(_scratch, record, Epoch, sequence);
            var segment = _segments[^1];
            // A record never straddles segments; removals may use the reserve that sends may not.
            if (length > segment.Size - segment.WriteOffset - (addsData ? _options.RemovalReserve : 0))
            {
                segment = Roll(length);
            }
            CurrentChunk().Buffer.Write(_scratch.WrittenSpan);
            var offset = segment.WriteOffset;
            segment.WriteOffset += length;
            segment.LastSequence = sequence + record.SequenceCount - 1;
            if (segment.FirstSequence == 0)
            {
                segment.FirstSequence = sequence;
            }
            _nextSequence += record.SequenceCount;
            Track(record, sequence, segment, offset, length);
            var durable = _batch.Task;
            _flushSignal.Release();
            return new StoreTicket(sequence, durable);
        }
    }

    public Task WhenDurable(long sequence)
    {
        lock (_lock)
        {
            if (sequence <= _durableSequence || sequence <= 0)
            {
                return _failure is null ? Task.CompletedTask : Task.FromException(_failure);
            }
            return _inFlightBatch is { } inFlight && sequence <= _inFlightLast ? inFlight.Task : _batch.Task;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        if (_flusher is not null)
        {
            await _flusher.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        lock (_lock)
        {
            foreach (var segment in _segments)
            {
                segment.Dispose();
            }
            _segments.Clear();
        }
        _directoryLock.Dispose();
        _stop.Dispose();
    }

    private PendingChunk CurrentChunk()
    {
        var active = _segments[^1];
        if (_pending.Count == 0 || _pending[^1].Segment != active)
        {
            _pending.Add(new PendingChunk(active, active.WriteOffset, new ArrayBufferWriter<byte>(64 * 1024)));
        }
        return _pending[^1];
    }

    /// <summary>Seals the active segment and starts the next; a disk too full for it refuses the append.</summary>
    private Segment Roll(int length)
    {
        var size = Math.Max(_options.SegmentSize, length + Segment.FileHeaderSize + _options.RemovalReserve);
        Segment next;
        try
        {
            next = Segment.Create(_directory, _segments[^1].Id + 1, size);
            Native.SyncDirectory(_directory);
        }
        catch (IOException e)
        {
            JournalLog.SegmentAllocationFailed(_logger, _directory, e.Message);
            throw new StoreFullException($"the disk holding the journal is full ({e.Message.TrimEnd('.')}); persistent messages are refused");
        }
        _segments.Add(next);
        JournalLog.SegmentCreated(_logger, next.Path);
        return next;
    }

    private void StartFlusher() => _flusher = Task.Run(FlushLoopAsync);

    /// <summary>
    /// Group commit: take everything appended since the last flush, write it, sync each touched file once,
    /// then complete every append of the batch together. Batches complete in order.
    /// </summary>
    private async Task FlushLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await _flushSignal.WaitAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                // Last flush below, so nothing appended before disposal is lost.
            }
            List<PendingChunk> chunks;
            TaskCompletionSource batch;
            long last;
            lock (_lock)
            {
                if (_pending.Count == 0)
                {
                    if (_stop.IsCancellationRequested)
                    {
                        return;
                    }
                    continue;
                }
                (chunks, _pending) = (_pending, []);
                (batch, _batch) = (_batch, NewBatch());
                last = _nextSequence - 1;
                _inFlightBatch = batch;
                _inFlightLast = last;
            }
            try
            {
                foreach (var chunk in chunks)
                {
                    RandomAccess.Write(chunk.Segment.Handle, chunk.Buffer.WrittenSpan, chunk.Offset);
                }
                foreach (var segment in chunks.Select(c => c.Segment).Distinct())
                {
                    Native.DataSync(segment.Handle);
                }
                lock (_lock)
                {
                    foreach (var chunk in chunks)
                    {
                        chunk.Segment.FlushedOffset = chunk.Offset + chunk.Buffer.WrittenCount;
                    }
                    Interlocked.Exchange(ref _durableSequence, last);
                    Interlocked.Increment(ref _flushCount);
                    _inFlightBatch = null;
                }
                batch.TrySetResult();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
            {
                // Nothing after a failed write can be trusted to be durable: every later append fails too.
                lock (_lock)
                {
                    _failure = e;
                    _inFlightBatch = null;
                    _batch.TrySetException(new StoreFullException($"the journal write failed: {e.Message}"));
                }
                JournalLog.WriteFailed(_logger, _directory, e.Message);
                batch.TrySetException(new StoreFullException($"the journal write failed: {e.Message}"));
                return;
            }
        }
    }

    private static TaskCompletionSource NewBatch() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed record PendingChunk(Segment Segment, long Offset, ArrayBufferWriter<byte> Buffer);
}
