using System.IO.Pipelines;
using System.Threading.Channels;
using Broker.Core.Events;
using Broker.Core.Security;
using Broker.Storage;
using Broker.Core.Connections;
using Microsoft.Extensions.Logging;

namespace Broker.Replication;

/// <summary>The master's view of its slave link.</summary>
public enum LinkState
{
    /// <summary>No slave attached.</summary>
    None,

    /// <summary>A slave is attached and receiving what it lacks; it does not protect sends yet.</summary>
    CatchingUp,

    /// <summary>The slave has everything; sends wait for it (per <see cref="ReplicationAckMode"/>).</summary>
    InSync,
}

/// <summary>
/// The master side of pure master/slave: serves a slave's link on the master's own client port (after the
/// replication preamble), streams what the slave lacks from the journal files, then every new record live as
/// the journal writes it, and completes waiting sends as the slave's acks arrive. A slave that stops
/// answering for <see cref="ReplicationOptions.ReplicationAckTimeout"/> is detached, so sends never hang.
/// </summary>
public sealed class ReplicationMaster : IConnectionHandoff, IAsyncDisposable
{
    private const int MaxRecordsPacket = 1024 * 1024;
    private readonly Lock _lock = new();
    private readonly SortedDictionary<long, Waiter> _waiters = [];
    private readonly string _brokerName;
    private readonly Journal _journal;
    private readonly ReplicationOptions _options;
    private readonly IBrokerAuthenticator _authenticator;
    private readonly Action<BrokerEventKind, string> _publish;
    private readonly ILogger _logger;
    private readonly ITimer _ackTimeoutCheck;
    private readonly RecordSizes _sizes = new();
    private Link? _link;
    private long _ackedSequence;
    private long _appendedBytes;
    private bool _fenced;

    public ReplicationMaster(string brokerName, Journal journal, ReplicationOptions options, IBrokerAuthenticator authenticator,
        Action<BrokerEventKind, string> publish, ILogger logger)
    {
        _brokerName = brokerName;
        _journal = journal;
        _options = options;
        _authenticator = authenticator;
        _publish = publish;
        _logger = logger;
        journal.RecordAppended = OnRecordAppended;
        _ackTimeoutCheck = TimeProvider.System.CreateTimer(_ => DetachIfStalled(), null, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(100));
    }

    public ReadOnlyMemory<byte> Preamble => LinkProtocol.Preamble;

    /// <summary>The bytes a slave's link starts with on the master's client port.</summary>
    public static ReadOnlyMemory<byte> LinkPreamble => LinkProtocol.Preamble;

    public LinkState State => _link?.State ?? LinkState.None;

    public bool IsInSync => State == LinkState.InSync;

    public string? SlaveName => _link?.SlaveName;

    /// <summary>The last sequence the slave confirmed (durable, or received, per the ack mode).</summary>
    public long AckedSequence => Interlocked.Read(ref _ackedSequence);

    /// <summary>Where the last attached slave said it would serve clients (null when it did not say): a master stopped meanwhile looks for it there.</summary>
    public string? PartnerUri { get; private set; }

    /// <summary>When the last ack came; lag in time is measured from here.</summary>
    public DateTimeOffset? LastAckAt { get; private set; }

    /// <summary>Raised (outside locks) when a slave comes into sync, and when one is lost: the state, the slave, why.</summary>
    public event Action<LinkState, string, string>? StateChanged;

    /// <summary>Raised when an in-sync slave is lost and <see cref="ReplicationOptions.ShutdownOnSlaveFailure"/> is set.</summary>
    public event Action? ShutdownRequested;

    /// <summary>Raised when the slave asks for a planned switchover (an operator on its side, or failback).</summary>
    public event Action? SwitchoverRequested;

    /// <summary>Raised when an operator promotes the slave while this master lives: the partner's URI to rejoin as its slave.</summary>
    public event Action<string>? PartnerPromoted;

    /// <summary>Bytes of journal records the slave has not confirmed yet (at least; while unprotected, of the recent ones).</summary>
    public long LagBytes
    {
        get
        {
            lock (_lock)
            {
                return _appendedBytes - _sizes.ConfirmedBytes;
            }
        }
    }

    /// <summary>
    /// The master's half of a planned switchover, once its broker takes no more writes: waits until the
    /// in-sync slave holds the final record, hands over, and returns the URI the slave now serves clients on.
    /// </summary>
    /// <exception cref="HandoverException">The slave refused (nothing changed) or the link was lost (the slave may serve).</exception>
    public async Task<string> HandOverAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var link = _link is { State: LinkState.InSync } inSync ? inSync : throw new HandoverException("no slave is attached and in sync", linkLost: false);
        var last = _journal.LastSequence;
        try
        {
            await Task.WhenAll(_journal.WhenDurable(last), WaitForAck(last)).WaitAsync(timeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new HandoverException($"slave {link.SlaveName} did not confirm sequence {last} within {timeout.TotalSeconds:0.#} s", linkLost: false);
        }
        if (_link != link)
        {
            throw new HandoverException($"slave {link.SlaveName} left before it held sequence {last}", linkLost: false);
        }
        // From the Handover packet on, the slave may take over at any moment: whatever goes wrong now, the link is "lost".
        var answered = link.BeginHandover();
        LinkProtocol.TakenOver answer;
        try
        {
            await link.WriteAsync(LinkProtocol.PacketType.Handover, LinkProtocol.Longs(last), cancellationToken).WaitAsync(timeout, cancellationToken);
            answer = await answered.WaitAsync(timeout, cancellationToken);
        }
        catch (Exception e) when (e is not HandoverException and not OperationCanceledException)
        {
            throw new HandoverException($"no answer from slave {link.SlaveName} to the handover: {e.Message}", linkLost: true);
        }
        if (answer.Refusal is { } refusal)
        {
            throw new HandoverException($"slave {link.SlaveName} refused to take over: {refusal}", linkLost: false);
        }
        return link.UriOnPort(answer.Port, answer.Tls);
    }


    /// <summary>
    /// Completes once the attached, in-sync slave holds <paramref name="sequence"/> (at once when there is none). When
    /// the slave is detached first, the wait completes too (the record is durable here alone), or, with
    /// <paramref name="failOnDetach"/>, fails: a record that may be confirmed only once replicated is then not confirmed.
    /// </summary>
    public Task WaitForAck(long sequence, bool failOnDetach = false)
    {
        lock (_lock)
        {
            if (sequence <= _ackedSequence)
            {
                return Task.CompletedTask;
            }
            if (_link is not { State: LinkState.InSync })
            {
                // Detached between the caller's check and here: such a record is not confirmed unreplicated either.
                return failOnDetach
                    ? Task.FromException(new Broker.Core.BrokerException("not replicated: the slave is not in sync; the pair is unprotected and refuses persistent messages (WhenUnprotected: RefusePersistent)"))
                    : Task.CompletedTask;
            }
            if (!_waiters.TryGetValue(sequence, out var waiter))
            {
                _waiters[sequence] = waiter = new Waiter(Environment.TickCount64);
            }
            waiter.FailOnDetach |= failOnDetach;
            return waiter.Completion.Task;
        }
    }

    public async Task HandleAsync(Stream stream, PipeReader input, string remoteAddress, CancellationToken cancellationToken)
    {
        using var handshakeTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        handshakeTimeout.CancelAfter(TimeSpan.FromSeconds(10));
        LinkProtocol.Hello hello;
        try
        {
            if (await LinkProtocol.ReadAsync(input, LinkProtocol.MaxControlPacket, handshakeTimeout.Token) is not ({ } type, var payload) || type != LinkProtocol.PacketType.Hello)
            {
                return;
            }
            hello = LinkProtocol.FromJson<LinkProtocol.Hello>(payload);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or InvalidDataException or System.Text.Json.JsonException)
        {
            ReplicationLog.ReplicationLoginRefused(_logger, _brokerName, remoteAddress, $"no valid Hello: {e.Message}");
            return;
        }
        var login = _authenticator.Authenticate(hello.UserName, hello.Password, remoteAddress);
        var user = login.User;
        // The replication role itself, not a permission an admin also holds: an operator's login is not a slave.
        var refusal = user is null ? $"replication login failed for user '{hello.UserName}': {login.Refusal}"
            : !user.Roles.Contains(Roles.Replication) ? $"user '{user.Name}' does not hold the replication role"
            : hello.Slave is not { Length: > 0 and <= 256 } || hello.Epochs is null ? "the Hello names no slave or no epoch history"
            : null;
        var link = new Link(hello.Slave, stream, remoteAddress);
        if (refusal is null && !_stopped && _link is { } stale && stale.SlaveName == hello.Slave)
        {
            // The same slave again: it gave up on that link (heart-beats came late) before this side noticed. Refusing
            // it as "already attached" would leave the pair unprotected, and the slave unsure whether its master lives.
            Detach(stale, $"slave {hello.Slave} reconnected");
        }
        lock (_lock)
        {
            refusal ??= _stopped ? $"{_brokerName} is stopping"
                : _link is not null ? $"slave {_link.SlaveName} is already attached to {_brokerName}" : null;
            if (refusal is null)
            {
                _link = link;
                _ackedSequence = 0;
                // Lag in bytes counts from here: without a slave nothing is tracked (no lock per append).
                _appendedBytes = 0;
                _sizes.Clear();
            }
        }
        if (refusal is not null)
        {
            ReplicationLog.ReplicationLoginRefused(_logger, _brokerName, remoteAddress, refusal);
            await LinkProtocol.WriteAsync(stream, LinkProtocol.PacketType.Refused, LinkProtocol.Json(new LinkProtocol.Refused(refusal)), cancellationToken);
            return;
        }
        if (hello.ClientPort is > 0 and <= 65535)
        {
            PartnerUri = link.UriOnPort(hello.ClientPort, hello.ClientTls);
        }
        var reason = "the link closed";
        try
        {
            reason = await ServeAsync(link, hello, input, remoteAddress, cancellationToken);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or InvalidDataException or ObjectDisposedException)
        {
            reason = e is OperationCanceledException ? "the master is stopping" : e.Message;
        }
        finally
        {
            Detach(link, reason);
        }
    }

    /// <summary>Answers the slave's switchover request with why not (it waits for that answer).</summary>
    public void RefuseSwitchover(string reason)
    {
        if (_link is { } link)
        {
            _ = link.WriteAsync(LinkProtocol.PacketType.SwitchoverRefused, LinkProtocol.Json(new LinkProtocol.Refused(reason)), CancellationToken.None)
                .ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    private bool _stopped;

    /// <summary>The master stops on purpose (its host shuts down): the slave is told, so it waits instead of taking over.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_lock)
        {
            // No slave attaches to a master that stops (its connector may still accept for a moment).
            _stopped = true;
        }
        await _ackTimeoutCheck.DisposeAsync();
        _journal.RecordAppended = null;
        if (_link is { } link)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            try
            {
                await link.WriteAsync(LinkProtocol.PacketType.Stopping, ReadOnlyMemory<byte>.Empty, timeout.Token);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
            {
                // The slave is gone already.
            }
            Detach(link, "the master is stopping");
        }
    }

    /// <summary>How long a link whose writes fail is still read for the slave's answer to a handover.</summary>
    private static readonly TimeSpan HandoverAnswerGrace = TimeSpan.FromSeconds(1);

    private async Task<string> ServeAsync(Link link, LinkProtocol.Hello hello, PipeReader input, string remoteAddress, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, link.Closing.Token);
        var divergedAt = DivergencePoint(hello);
        var snapshot = divergedAt <= hello.LastSequence || hello.LastSequence + 1 < _journal.HistoryStart;
        var from = snapshot ? 1 : hello.LastSequence + 1;
        // What the slave may acknowledge: what it already held, then what is shipped to it.
        link.SentThrough = from - 1;
        await link.WriteAsync(LinkProtocol.PacketType.Welcome, LinkProtocol.Json(new LinkProtocol.Welcome(
            _brokerName, _journal.Epoch, _journal.LastSequence, snapshot, divergedAt, EpochArray(), _options.ReplicationAck == ReplicationAckMode.Received)), stop.Token);
        ReplicationLog.SlaveAttached(_logger, _brokerName, hello.Slave, remoteAddress, from, snapshot ? "snapshot" : "tail");
        _publish(BrokerEventKind.SlaveAttached, $"slave {hello.Slave} from {remoteAddress}");
        _publish(BrokerEventKind.ResyncStarted, $"slave {hello.Slave} resyncing from sequence {from}{(snapshot ? " (snapshot)" : "")}");
        var receiving = ReceiveAcksAsync(link, input, stop.Token);
        // Heart-beats at a quarter of the slave's timeout (or ours, if shorter): a slave must never take over from a live master.
        var heartbeat = TimeSpan.FromMilliseconds(hello.MasterTimeoutMs > 0 ? Math.Min(hello.MasterTimeoutMs, _options.MasterTimeout.TotalMilliseconds) : _options.MasterTimeout.TotalMilliseconds) / 4;
        var sending = SendAsync(link, from, snapshot, heartbeat, stop.Token);
        var first = await Task.WhenAny(receiving, sending);
        if (first == sending && link.AwaitsHandoverAnswer)
        {
            // The slave closes its end right after answering a handover, with heart-beats it never read: the reset
            // fails the next heart-beat while its answer may still wait unread here. Read it before the link counts as lost.
            await Task.WhenAny(receiving, Task.Delay(HandoverAnswerGrace, cancellationToken));
        }
        await link.Closing.CancelAsync();
        return await first;
    }

    /// <summary>Catch-up from the files, then live: the switch happens under the journal's lock, so nothing falls between.</summary>
    private async Task<string> SendAsync(Link link, long from, bool snapshot, TimeSpan heartbeat, CancellationToken cancellationToken)
    {
        var batch = new MemoryStream();
        var next = from;
        var batchEnd = from - 1;
        if (snapshot)
        {
            foreach (var raw in _journal.ReadRawFrom(1, snapshot: true))
            {
                next = await Buffer(raw);
            }
        }
        while (true)
        {
            foreach (var raw in _journal.ReadRawFrom(next, snapshot: false))
            {
                next = await Buffer(raw);
            }
            await Flush();
            var caughtUp = next;
            if (_journal.UnderLock(last => caughtUp > last && link.GoLive()))
            {
                break;
            }
            await _journal.WhenDurable(_journal.LastSequence).WaitAsync(cancellationToken);
        }
        link.LiveFrom = next;
        await link.WriteAsync(LinkProtocol.PacketType.CaughtUp, LinkProtocol.Longs(next), cancellationToken);
        while (!cancellationToken.IsCancellationRequested)
        {
            var reader = link.Live.Reader;
            using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            idle.CancelAfter(heartbeat);
            try
            {
                await reader.WaitToReadAsync(idle.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                await link.WriteAsync(LinkProtocol.PacketType.Ping, LinkProtocol.Longs(_journal.LastSequence), cancellationToken);
                continue;
            }
            while (batch.Length < MaxRecordsPacket && reader.TryRead(out var appended))
            {
                batch.Write(appended.Bytes);
                batchEnd = appended.Last;
            }
            await Flush();
        }
        return "the master is stopping";

        async ValueTask<long> Buffer(RawRecord raw)
        {
            batch.Write(raw.Bytes);
            batchEnd = raw.Sequence + RecordCodec.SequenceCount(raw.Bytes) - 1;
            if (batch.Length >= MaxRecordsPacket)
            {
                await Flush();
            }
            return batchEnd + 1;
        }

        async ValueTask Flush()
        {
            if (batch.Length > 0)
            {
                // Before the write: the slave's ack may come back before WriteAsync returns.
                link.SentThrough = Math.Max(link.SentThrough, batchEnd);
                await link.WriteAsync(LinkProtocol.PacketType.Records, batch.GetBuffer().AsMemory(0, (int)batch.Length), cancellationToken);
                batch.SetLength(0);
            }
        }
    }

    /// <summary>
    /// Reads the slave's packets. Each is checked against where the link stands: an ack only up to what was
    /// shipped, a TakenOver only in answer to a Handover, a Promoting only from the in-sync slave and for the
    /// next epoch. Anything else ends the link, with the reason logged, and changes nothing here.
    /// </summary>
    private async Task<string> ReceiveAcksAsync(Link link, PipeReader input, CancellationToken cancellationToken)
    {
        while (await LinkProtocol.ReadAsync(input, LinkProtocol.MaxControlPacket, cancellationToken) is ({ } type, var payload))
        {
            switch (type)
            {
                case LinkProtocol.PacketType.Ack when payload.Length == 16:
                    var (received, durable) = (LinkProtocol.Long(payload, 0), LinkProtocol.Long(payload, 1));
                    if (received > link.SentThrough || durable > received)
                    {
                        return Violation(link, $"an ack of sequence {received} (durable {durable}) beyond the {link.SentThrough} shipped");
                    }
                    Acknowledge(link, _options.ReplicationAck == ReplicationAckMode.Received ? received : durable);
                    break;
                case LinkProtocol.PacketType.SwitchoverRequest:
                    if (link.State == LinkState.InSync)
                    {
                        SwitchoverRequested?.Invoke();
                    }
                    else
                    {
                        // Its last records may not be durable there yet: ask once it is in sync.
                        link.SwitchoverPending = true;
                    }
                    break;
                case LinkProtocol.PacketType.TakenOver:
                    if (!link.Answer(LinkProtocol.FromJson<LinkProtocol.TakenOver>(payload)))
                    {
                        return Violation(link, "a TakenOver without a handover");
                    }
                    break;
                case LinkProtocol.PacketType.Promoting:
                    var promoting = LinkProtocol.FromJson<LinkProtocol.Promoting>(payload);
                    if (link.State != LinkState.InSync || promoting.Epoch != _journal.Epoch + 1 || promoting.Port is < 1 or > 65535)
                    {
                        return Violation(link, $"a Promoting to epoch {promoting.Epoch} on port {promoting.Port} ({(link.State == LinkState.InSync ? "in sync" : "not in sync")}, this broker is at epoch {_journal.Epoch})");
                    }
                    var reason = $"slave {link.SlaveName} was promoted to master at epoch {promoting.Epoch}";
                    Fence(reason);
                    PartnerPromoted?.Invoke(link.UriOnPort(promoting.Port, promoting.Tls));
                    return reason;
                default:
                    return Violation(link, $"an unexpected {type} packet of {payload.Length} bytes");
            }
        }
        return "the slave closed the link";
    }

    private string Violation(Link link, string what)
    {
        ReplicationLog.LinkViolation(_logger, _brokerName, link.SlaveName, link.RemoteAddress, what);
        return $"the slave sent {what}; link closed";
    }

    private void Acknowledge(Link link, long acked)
    {
        List<Waiter> done = [];
        var nowInSync = false;
        lock (_lock)
        {
            if (_link != link)
            {
                return;
            }
            _ackedSequence = Math.Max(_ackedSequence, acked);
            _sizes.Forget(_ackedSequence);
            LastAckAt = DateTimeOffset.UtcNow;
            if (link.State == LinkState.CatchingUp && link.LiveFrom > 0 && acked >= link.LiveFrom - 1)
            {
                link.State = LinkState.InSync;
                nowInSync = true;
            }
            while (_waiters.Count > 0 && _waiters.First() is var first && first.Key <= _ackedSequence)
            {
                done.Add(first.Value);
                _waiters.Remove(first.Key);
            }
        }
        foreach (var waiter in done)
        {
            waiter.Completion.TrySetResult();
        }
        if (nowInSync)
        {
            ReplicationLog.SlaveInSync(_logger, _brokerName, link.SlaveName, acked);
            _publish(BrokerEventKind.SlaveInSync, $"slave {link.SlaveName} in sync at sequence {acked}");
            _publish(BrokerEventKind.ResyncFinished, $"slave {link.SlaveName} caught up");
            StateChanged?.Invoke(LinkState.InSync, link.SlaveName, $"in sync at sequence {acked}");
            if (link.SwitchoverPending)
            {
                link.SwitchoverPending = false;
                SwitchoverRequested?.Invoke();
            }
        }
    }

    /// <summary>True once the slave was promoted over this live master: nothing more may be acknowledged here.</summary>
    public bool IsFenced => Volatile.Read(ref _fenced);

    /// <summary>
    /// The partner took over: appends are refused from now on, and the sends still waiting for the slave fail
    /// (their clients get an ERROR and resend to the new master) instead of being acknowledged unreplicated.
    /// </summary>
    private void Fence(string reason)
    {
        List<Waiter> failed;
        lock (_lock)
        {
            Volatile.Write(ref _fenced, true);
            failed = [.. _waiters.Values];
            _waiters.Clear();
        }
        foreach (var waiter in failed)
        {
            waiter.Completion.TrySetException(new Broker.Core.BrokerException($"not replicated: {reason}; send it to the new master"));
        }
    }

    private void OnRecordAppended(long sequence, int count, ReadOnlySpan<byte> bytes)
    {
        // Under the journal's lock, in sequence order: only copy, and count the bytes for the lag (with a slave only).
        if (Volatile.Read(ref _link) is not { } link)
        {
            return;
        }
        lock (_lock)
        {
            _appendedBytes += bytes.Length;
            _sizes.Add(sequence + count - 1, _appendedBytes);
        }
        if (link.IsLive)
        {
            link.Live.Writer.TryWrite((sequence + count - 1, bytes.ToArray()));
        }
    }

    private void DetachIfStalled()
    {
        Link? stalled = null;
        lock (_lock)
        {
            if (_link is { } link && _waiters.Count > 0
                && Environment.TickCount64 - _waiters.First().Value.Since > _options.ReplicationAckTimeout.TotalMilliseconds)
            {
                stalled = link;
            }
        }
        if (stalled is not null)
        {
            Detach(stalled, $"no acknowledgement within ReplicationAckTimeout ({_options.ReplicationAckTimeout.TotalSeconds:0.#} s)");
        }
    }

    /// <summary>Lets go of a slave: its waiting sends complete on the master's own durability, and the pair is unprotected.</summary>
    private void Detach(Link link, string reason)
    {
        List<Waiter> released;
        bool wasInSync;
        lock (_lock)
        {
            if (_link != link)
            {
                return;
            }
            _link = null;
            wasInSync = link.State == LinkState.InSync;
            released = [.. _waiters.Values];
            _waiters.Clear();
        }
        link.Close();
        foreach (var waiter in released)
        {
            if (waiter.FailOnDetach)
            {
                waiter.Completion.TrySetException(new Broker.Core.BrokerException(
                    $"not replicated: slave {link.SlaveName} detached ({reason}); the pair is unprotected and refuses persistent messages (WhenUnprotected: RefusePersistent)"));
            }
            else
            {
                waiter.Completion.TrySetResult();
            }
        }
        ReplicationLog.SlaveDetached(_logger, _brokerName, link.SlaveName, reason);
        _publish(BrokerEventKind.SlaveDetached, $"slave {link.SlaveName}: {reason}");
        _publish(BrokerEventKind.Unprotected, $"{_journal.LastSequence - AckedSequence} records not replicated");
        StateChanged?.Invoke(LinkState.None, link.SlaveName, reason);
        if (wasInSync && _options.ShutdownOnSlaveFailure)
        {
            ShutdownRequested?.Invoke();
        }
    }

    /// <summary>The first sequence the slave holds that this journal's history does not share (beyond its last when none).</summary>
    private long DivergencePoint(LinkProtocol.Hello hello)
    {
        var slaveEpochs = hello.Epochs.Select(e => (Epoch: e[0], First: e[1])).ToList();
        long SlaveEpochAt(long sequence) => slaveEpochs.LastOrDefault(e => e.First <= sequence, slaveEpochs.FirstOrDefault()).Epoch;
        var candidates = slaveEpochs.Select(e => e.First).Concat(_journal.Epochs.Entries.Select(e => e.FirstSequence))
            .Append(_journal.LastSequence + 1).Where(c => c >= 1 && c <= hello.LastSequence).Order();
        foreach (var candidate in candidates)
        {
            if (candidate > _journal.LastSequence || SlaveEpochAt(candidate) != _journal.Epochs.EpochAt(candidate))
            {
                return candidate;
            }
        }
        return hello.LastSequence + 1;
    }

    private long[][] EpochArray() => [.. _journal.Epochs.Entries.Select(e => new[] { e.Epoch, e.FirstSequence })];

    private sealed record Waiter(long Since)
    {
        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>A detach fails the wait instead of completing it (a message under RefusePersistent).</summary>
        public bool FailOnDetach { get; set; }
    }

    private sealed class Link(string slaveName, Stream stream, string remoteAddress)
    {
        private readonly LinkWriter _writer = new(stream);
        private int _live;

        public string SlaveName { get; } = slaveName;

        public LinkState State { get; set; } = LinkState.CatchingUp;

        public long LiveFrom { get; set; }

        public bool IsLive => Volatile.Read(ref _live) == 1;

        /// <summary>Records appended since the link went live: the last sequence each covers, and its bytes.</summary>
        public Channel<(long Last, byte[] Bytes)> Live { get; } = Channel.CreateUnbounded<(long Last, byte[] Bytes)>(new UnboundedChannelOptions { SingleReader = true });

        public CancellationTokenSource Closing { get; } = new();

        private TaskCompletionSource<LinkProtocol.TakenOver>? _takenOver;

        /// <summary>A slave that asked for a switchover before it was in sync: asked again once it is.</summary>
        public bool SwitchoverPending { get; set; }

        /// <summary>A handover was sent and its answer has not come yet.</summary>
        public bool AwaitsHandoverAnswer => Volatile.Read(ref _takenOver) is { Task.IsCompleted: false };

        /// <summary>A fresh wait for the slave's answer to this handover (a refused one does not answer the next); faults when the link is lost.</summary>
        public Task<LinkProtocol.TakenOver> BeginHandover()
        {
            var answer = new TaskCompletionSource<LinkProtocol.TakenOver>(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _takenOver, answer);
            if (Closing.IsCancellationRequested)
            {
                answer.TrySetException(LinkLost());
            }
            return answer.Task;
        }

        /// <summary>False when no handover waits for an answer.</summary>
        public bool Answer(LinkProtocol.TakenOver answer) => Volatile.Read(ref _takenOver)?.TrySetResult(answer) == true;

        public string RemoteAddress => remoteAddress;

        /// <summary>The last sequence shipped to the slave (or that it held on arrival): acks above it are refused.</summary>
        public long SentThrough
        {
            get => Interlocked.Read(ref _sentThrough);
            set => Interlocked.Exchange(ref _sentThrough, value);
        }

        private long _sentThrough;

        private HandoverException LinkLost() => new($"the link to slave {SlaveName} was lost during the handover", linkLost: true);

        /// <summary>The slave's client connector: its address as this link sees it, and the port it serves on.</summary>
        public string UriOnPort(int port, bool tls)
        {
            var host = System.Net.IPEndPoint.TryParse(remoteAddress, out var endpoint) ? endpoint.Address : System.Net.IPAddress.Loopback;
            if (host.IsIPv4MappedToIPv6)
            {
                host = host.MapToIPv4();
            }
            var scheme = tls ? "ssl" : "tcp";
            return host.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"{scheme}://[{host}]:{port}" : $"{scheme}://{host}:{port}";
        }

        /// <summary>Called under the journal's lock: from here on every appended record is queued for the slave.</summary>
        public bool GoLive()
        {
            Volatile.Write(ref _live, 1);
            return true;
        }

        public Task WriteAsync(LinkProtocol.PacketType type, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) =>
            _writer.WriteAsync(type, payload, cancellationToken);

        public void Close()
        {
            Closing.Cancel();
            Volatile.Read(ref _takenOver)?.TrySetException(LinkLost());
            Live.Writer.TryComplete();
            stream.Dispose();
        }
    }
}
