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
/// A record that rides the next commit (an acknowledgement) starts no flush of its own: it goes with the next
/// one, at the latest <see cref="JournalOptions.AckFlushDelay"/> later.
/// Partial files: recovery (<c>Journal.Recovery.cs</c>), the live-record index and compaction
/// (<c>Journal.Compaction.cs</c>), and reading back (<c>Journal.Reading.cs</c>).
/// </summary>
public delegate void RecordAppendedHandler(long sequence, int sequenceCount, ReadOnlySpan<byte> bytes);

public sealed partial class Journal : IMessageStore
{
    private readonly Lock _lock = new();
    private readonly string _directory;
    private readonly JournalOptions _options;
    private readonly ILogger _logger;
    private readonly DataDirectoryLock _directoryLock;
    private readonly List<Segment> _segments = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly ArrayBufferWriter<byte> _scratch = new(64 * 1024);
    private List<PendingChunk> _pending = [];

    // A batch is written as chunks of about ChunkBytes, whose buffers serve again once flushed. One buffer per batch
    // doubled while appends waited for a flush (to MiBs under load), and every doubling was a large-object allocation
    // only a full collection frees: 920 MiB of them while 1M × 1 KiB were sent (dotnet-trace, GC AllocationTick).
    private readonly Stack<ArrayBufferWriter<byte>> _spareBuffers = new();
    private const int ChunkBytes = 1024 * 1024;
    private const int SpareBuffers = 8;
    private const int MaxSpareBufferBytes = 2 * ChunkBytes;
    private long _nextSequence = 1;
    private long _flushCount;
    private readonly GroupCommit _commit;
    private Task? _flusher;
    private bool _replayed;

    private Journal(string directory, JournalOptions options, ILogger logger, DataDirectoryLock directoryLock)
    {
        _directory = directory;
        _options = options;
        _logger = logger;
        _directoryLock = directoryLock;
        _commit = new GroupCommit(options.AckFlushDelay);
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

    public long DurableSequence => _commit.DurableSequence;

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

    /// <summary>
    /// Called under the journal's lock with each record's bytes as written, in sequence order: replication
    /// ships exactly these bytes. Must only copy them and return.
    /// </summary>
    public RecordAppendedHandler? RecordAppended { get; set; }

    /// <summary>
    /// Appends a record exactly as another journal wrote it (a slave applying its master's stream): the same
    /// bytes, epoch and sequence number. A record already held is ignored; a gap is an error.
    /// </summary>
    public (StoreTicket Ticket, StoreRecord? Record) AppendReplicated(ReadOnlySpan<byte> raw, bool allowGap = false)
    {
        var header = RecordCodec.ReadHeader(raw);
        if (!RecordCodec.IsValid(raw, header))
        {
            throw new InvalidDataException($"replicated record {header.Sequence} fails its checksum");
        }
        var record = RecordCodec.Decode(header, raw.Slice(RecordCodec.HeaderSize, header.Length));
        lock (_lock)
        {
            // No flusher is left to write it: a slave must not go on as if it held the record.
            ThrowIfFailed();
            if (header.Sequence < _nextSequence)
            {
                return (new StoreTicket(header.Sequence, WhenDurable(header.Sequence)), null);
            }
            if (header.Sequence > _nextSequence && !allowGap)
            {
                throw new InvalidDataException($"replicated record {header.Sequence} arrived but {_nextSequence} was expected");
            }
            if (header.Epoch > Epochs.Current)
            {
                Epochs.Begin(header.Epoch, header.Sequence);
            }
            var segment = _segments[^1];
            if (header.TotalLength > segment.Size - segment.WriteOffset)
            {
                segment = Roll(header.TotalLength);
            }
            CurrentChunk().Buffer.Write(raw[..header.TotalLength]);
            return (Place(record, header.Sequence, header.TotalLength, segment, raw[..header.TotalLength]), record);
        }
    }

    /// <summary>
    /// Empties the journal so a slave can take a snapshot from its master: the current files move to
    /// <paramref name="setAsideDirectory"/> (kept for the operator) or are deleted when it is null.
    /// </summary>
    public async Task ResetAsync(string? setAsideDirectory)
    {
        await WhenDurable(LastSequence);
        lock (_lock)
        {
            if (setAsideDirectory is not null)
            {
                Directory.CreateDirectory(setAsideDirectory);
            }
            foreach (var segment in _segments)
            {
                segment.Dispose();
                if (setAsideDirectory is null)
                {
                    File.Delete(segment.Path);
                }
                else
                {
                    File.Move(segment.Path, Path.Combine(setAsideDirectory, Path.GetFileName(segment.Path)));
                }
            }
            _segments.Clear();
            _liveMessages.Clear();
            _liveMeta.Clear();
            _producers.Clear();
            _committed.Clear();
            _pending = [];
            _commit.Reset(0);
            Epochs.Reset();
            _segments.Add(Segment.Create(_directory, 1, _options.SegmentSize));
            Native.SyncDirectory(_directory);
            _nextSequence = 1;
            FirstSequence = 1;
            HistoryStart = 1;
        }
    }

    /// <summary>
    /// Learns its master's epochs (the whole table of the handshake) before their records arrive: the current one even
    /// when the master has not written in it yet, so that this copy, promoted later, never begins the same epoch again;
    /// and every earlier one this copy lacks. A record only begins an epoch it is later than the current one, so after
    /// a snapshot (or a promotion this copy was away for) learning only the last would leave the epochs in between
    /// out of the table; a later rejoin would then find a divergence where both copies agree and set aside records the
    /// master holds.
    /// </summary>
    public void ObserveEpochs(IEnumerable<(long Epoch, long FirstSequence)> epochs)
    {
        lock (_lock)
        {
            foreach (var (epoch, firstSequence) in epochs.OrderBy(e => e.Epoch))
            {
                if (epoch > Epochs.Current)
                {
                    Epochs.Begin(epoch, Math.Max(firstSequence, _nextSequence));
                }
            }
        }
    }

    /// <summary>
    /// Starts a new epoch with the next record (a promotion); durable before it returns. First the journal's tail
    /// is made exactly its last complete record: every record appended so far (the master's, for a slave) durable,
    /// the last one read back whole, and whatever lies on disk after it in the active segment zeroed. So the
    /// promoted broker's own records never follow a partial one, which would make the next start refuse the file.
    /// </summary>
    /// <exception cref="JournalCorruptException">The last record does not read back whole; nothing was written.</exception>
    /// <exception cref="StoreFullException">The journal cannot be written.</exception>
    public async Task<long> BeginEpochAsync()
    {
        while (true)
        {
            await WhenDurable(LastSequence);
            lock (_lock)
            {
                ThrowIfFailed();
                if (_pending.Count > 0 || _commit.Flushing)
                {
                    // Appended meanwhile: wait for that too, so nothing is in the flusher's hands while the tail is cut.
                    continue;
                }
                CutTail(_segments[^1]);
                Epochs.Begin(Epochs.Current + 1, _nextSequence);
                return Epochs.Current;
            }
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
            ThrowIfFailed();
            var addsData = record is MessageAddedRecord or TransactionRecord or JobScheduledRecord;
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
            return Place(record, sequence, length, segment, _scratch.WrittenSpan);
        }
    }

    /// <summary>Books a record just copied into the pending batch; under the lock.</summary>
    private StoreTicket Place(StoreRecord record, long sequence, int length, Segment segment, ReadOnlySpan<byte> bytes)
    {
        var offset = segment.WriteOffset;
        segment.WriteOffset += length;
        segment.LastRecordOffset = offset;
        segment.LastSequence = sequence + record.SequenceCount - 1;
        if (segment.FirstSequence == 0)
        {
            segment.FirstSequence = sequence;
        }
        _nextSequence = sequence + record.SequenceCount;
        Track(record, sequence, segment, offset, length);
        RecordAppended?.Invoke(sequence, record.SequenceCount, bytes);
        return new StoreTicket(sequence, _commit.Placed(record));
    }

    /// <summary>Under the lock: after a failed write nothing more is appended.</summary>
    private void ThrowIfFailed()
    {
        if (_commit.Failure is { } failure)
        {
            throw new StoreFullException(failure.Message);
        }
    }

    public Task WhenDurable(long sequence)
    {
        lock (_lock)
        {
            return _commit.WhenDurable(sequence);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        if (_flusher is not null)
        {
            await _flusher.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        if (_compactor is not null)
        {
            // A compaction must not rename or delete files after the directory lock is released.
            await _compactor.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
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
        if (_pending.Count == 0 || _pending[^1].Segment != active || _pending[^1].Buffer.WrittenCount >= ChunkBytes)
        {
            // Room for a chunk and the record that fills it, so a buffer seldom grows.
            var buffer = _spareBuffers.TryPop(out var spare) ? spare : new ArrayBufferWriter<byte>(ChunkBytes + 64 * 1024);
            _pending.Add(new PendingChunk(active, active.WriteOffset, buffer));
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

    // One flusher per journal: it is the only writer of the segments (see ZeroAhead). It blocks in write and
    // fdatasync, so it has a thread of its own: on the thread pool, a few journals syncing at once (a pair in one
    // process, a loaded disk) held the pool's few threads, and heart-beats and acks waited a second for a new one.
    private void StartFlusher() => _flusher ??= Task.Factory.StartNew(FlushLoop, CancellationToken.None,
        TaskCreationOptions.LongRunning | TaskCreationOptions.DenyChildAttach, TaskScheduler.Default);

    /// <summary>
    /// Group commit: take everything appended since the last flush, write it, sync each touched file once,
    /// then complete every append of the batch together. Batches complete in order. A batch of records that
    /// only ride the next commit waits for one that must be durable, a WhenDurable, or their deadline.
    /// </summary>
    private void FlushLoop()
    {
        Thread.CurrentThread.Name = "journal flusher";
        while (true)
        {
            List<PendingChunk> chunks;
            (TaskCompletionSource Batch, long Last)? taken;
            int waitMs;
            lock (_lock)
            {
                taken = _commit.Take(_pending.Count > 0, _nextSequence - 1, _stop.IsCancellationRequested, out waitMs);
                chunks = _pending;
                if (taken is not null)
                {
                    _pending = [];
                }
            }
            if (taken is not var (batch, last))
            {
                if (waitMs == 0)
                {
                    return;
                }
                _commit.Wait(waitMs, _stop.Token);
                continue;
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
                        if (_spareBuffers.Count < SpareBuffers && chunk.Buffer.Capacity <= MaxSpareBufferBytes)
                        {
                            chunk.Buffer.ResetWrittenCount();
                            _spareBuffers.Push(chunk.Buffer);
                        }
                    }
                    _commit.Flushed(last);
                    Interlocked.Increment(ref _flushCount);
                }
                batch.TrySetResult();
                ZeroAhead();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
            {
                // Nothing after a failed write can be trusted to be durable: every later append fails too.
                var failure = new StoreFullException($"the journal write failed: {e.Message}");
                (TaskCompletionSource? InFlight, TaskCompletionSource Next) failed;
                lock (_lock)
                {
                    failed = _commit.Fail(failure);
                }
                JournalLog.WriteFailed(_logger, _directory, e.Message);
                failed.InFlight?.TrySetException(failure);
                failed.Next.TrySetException(failure);
                return;
            }
        }
    }

    /// <summary>Takes a lock-step look at the journal: runs <paramref name="action"/> under its lock (no append in between).</summary>
    public T UnderLock<T>(Func<long, T> action)
    {
        lock (_lock)
        {
            return action(_nextSequence - 1);
        }
    }

    /// <summary>
    /// Writes zeros (and syncs them) a little ahead of the data in the active segment. Preallocated blocks are
    /// "unwritten" until first written, and a sync that first writes one must also commit that change, about
    /// halving how many syncs a second the disk does; zeroing ahead moves that cost off the commit path. Only
    /// the flusher writes to segments, so the zeros always land before the data that later covers them.
    /// </summary>
    private void ZeroAhead()
    {
        Segment segment;
        long from, to;
        lock (_lock)
        {
            segment = _segments[^1];
            from = Math.Max(segment.ZeroedTo, segment.FlushedOffset);
            if (from - segment.WriteOffset >= ZeroAheadChunk / 2 || from >= segment.Size)
            {
                return;
            }
            to = Math.Min(segment.Size, from + ZeroAheadChunk);
        }
        try
        {
            RandomAccess.Write(segment.Handle, Zeros.AsSpan(0, (int)(to - from)), from);
            Native.DataSync(segment.Handle);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // Only an optimisation: the data path works without it (the segment may also have just been reset away).
            return;
        }
        lock (_lock)
        {
            segment.ZeroedTo = to;
        }
    }

    private const int ZeroAheadChunk = 4 * 1024 * 1024;
    private static readonly byte[] Zeros = new byte[ZeroAheadChunk];

    private sealed record PendingChunk(Segment Segment, long Offset, ArrayBufferWriter<byte> Buffer);
}
