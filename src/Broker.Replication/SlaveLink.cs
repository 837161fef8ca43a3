using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Security.Authentication;
using Broker.Core.Events;
using Broker.Core.Storage;
using Broker.Storage;
using Broker.Core.Connections;
using Microsoft.Extensions.Logging;

namespace Broker.Replication;

/// <summary>A slave's view of its link.</summary>
public enum SlaveState
{
    Connecting,
    Syncing,
    InSync,
    MasterFailed,
}

/// <summary>How following a master ended.</summary>
public enum LinkEnd
{
    /// <summary>The master was lost (the link ended and it does not answer again): promote if this copy was in sync.</summary>
    MasterFailed,

    /// <summary>The master said it stops on purpose (its host shuts down): not a failure; wait for it.</summary>
    MasterStopped,

    /// <summary>A planned switchover: this broker already took over and serves clients.</summary>
    HandedOver,
}

/// <summary>
/// The slave side: connects to the master's client connector, logs in with a replication user, tells the
/// master the last sequence it holds, then appends what the master ships to its own journal (same bytes,
/// same sequence numbers) and folds it into the standby state it will serve from if promoted. Returns when
/// the master is lost after the link was established (link closed, or silent past the master timeout), or
/// when the master hands over in a planned switchover (then <paramref name="takeOver"/> has made this broker
/// master and returned the client port it serves on, which the old master rejoins).
/// </summary>
public sealed class SlaveLink(
    string slaveName,
    string dataDirectory,
    Journal journal,
    RecoveryState initialState,
    ReplicationOptions options,
    string? userName,
    string? password,
    Action<BrokerEventKind, string> publish,
    Func<Task<(int Port, bool Tls)>> takeOver,
    ILogger logger)
{
    private readonly string _masterUri = options.MasterUri!;
    private LinkWriter? _writer;
    private bool _ackOnReceipt;
    private long _durableAcked;
    private bool _handedOver;
    private bool _masterStopping;
    private TaskCompletionSource<string>? _switchoverAnswer;

    /// <summary>Raised (on the link's loop) each time this slave comes into sync with its master.</summary>
    public event Action? InSync;

    /// <summary>Raised on every change of <see cref="State"/>, with why.</summary>
    public event Action<SlaveState, string>? StateChanged;

    public SlaveState State { get; private set; } = SlaveState.Connecting;

    /// <summary>Where this broker would serve clients (told to the master, which finds it there if it takes over).</summary>
    public int ClientPort { get; init; }

    public bool ClientTls { get; init; }

    public string MasterUri => _masterUri;

    private string? _unresolvedLoss;

    /// <summary>
    /// The last <see cref="LinkEnd.MasterFailed"/> was not acted on (a witness said the master still holds its lease):
    /// the next <see cref="RunAsync"/> treats the master as just lost, and ends again if it does not answer.
    /// </summary>
    public void ResumeAfterLoss(string reason) => _unresolvedLoss = reason;

    /// <summary>Whether the link was in sync when it was last lost: only then may this copy take over on its own.</summary>
    public bool WasInSyncWhenLost { get; private set; }

    /// <summary>Why the link was last lost.</summary>
    public string? LastLoss { get; private set; }

    /// <summary>The last failure to reach the master (null once it answers), and since when it fails.</summary>
    public string? LastError { get; private set; }

    public DateTimeOffset? LastErrorSince { get; private set; }

    /// <summary>The standby state: everything the master shipped, folded, ready for promotion.</summary>
    public RecoveryState Standby { get; private set; } = initialState;

    public string? MasterName { get; private set; }

    public long MasterLastSequence { get; private set; }

    public long LastReceivedSequence => journal.LastSequence;

    public DateTimeOffset? LastHeardAt { get; private set; }

    /// <summary>
    /// Asks the master for a planned switchover to this slave. A master that agrees hands over (this broker is
    /// promoted); the task completes only when it refuses, with its reason.
    /// </summary>
    public async Task<string> RequestSwitchoverAsync(CancellationToken cancellationToken)
    {
        var answer = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _switchoverAnswer, answer);
        await SendAsync(LinkProtocol.PacketType.SwitchoverRequest, ReadOnlyMemory<byte>.Empty, cancellationToken);
        return await answer.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Fences a live master before an operator's promotion: it stops serving and rejoins this broker on <paramref name="port"/>.</summary>
    public Task AnnouncePromotionAsync(long epoch, int port, bool tls, CancellationToken cancellationToken) =>
        SendAsync(LinkProtocol.PacketType.Promoting, LinkProtocol.Json(new LinkProtocol.Promoting(epoch, port, tls)), cancellationToken);

    private void SetState(SlaveState state, string reason)
    {
        if (State == state)
        {
            return;
        }
        State = state;
        StateChanged?.Invoke(state, reason);
    }

    /// <summary>
    /// Follows the master until it is lost or hands over (then returns) or <paramref name="cancellationToken"/>
    /// fires (then throws). A lost link is not yet a lost master: the slave reconnects at once, and only a master
    /// that does not answer again (refused connection, no handshake within <see cref="ReconnectWindow"/>) is
    /// failed. So a master that detached a slow slave, or a link that dropped, never makes a second master.
    /// </summary>
    public async Task<LinkEnd> RunAsync(long memoryLimit, CancellationToken cancellationToken)
    {
        if (!ConnectorUri.TryParse(_masterUri, out var uri, out var error))
        {
            throw new InvalidOperationException(error);
        }
        ReplicationLog.StartingSlaveConnection(logger, slaveName, _masterUri);
        // A loss the owner did not act on (a witness kept it from taking over) still counts: a master that does not
        // answer again is failed again, so the owner can ask once more.
        string? lost = Interlocked.Exchange(ref _unresolvedLoss, null);
        var retry = TimeSpan.FromMilliseconds(100);
        var attempts = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Stream stream;
            try
            {
                stream = await ConnectAsync(uri, lost is null ? TimeSpan.FromSeconds(5) : ReconnectWindow, cancellationToken);
            }
            catch (MasterCertificateRejectedException e)
            {
                // Something answers at the master's address, with a certificate this slave does not accept: an
                // impostor, or a master whose certificate changed. Neither is a master that failed, so this is never
                // a failover (taking over could make two masters): the slave waits, as after a refused login.
                lost = null;
                // The state first: whoever reads the log line finds LastError saying the same.
                Unreachable(e.Message, ++attempts, RefusedRetry, logged: true);
                ReplicationLog.MasterCertificateRejected(logger, slaveName, _masterUri, e.Expected, e.Presented);
                await Task.Delay(RefusedRetry, cancellationToken);
                continue;
            }
            catch (Exception e) when (e is SocketException or IOException or AuthenticationException
                                         or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                if (lost is not null)
                {
                    Fail($"{lost}; the master does not answer again: {e.Message}");
                    return LinkEnd.MasterFailed;
                }
                // The master is not up yet: a slave waits for it, it never takes over a master it has not known.
                Unreachable(e.Message, ++attempts, retry);
                await Task.Delay(retry, cancellationToken);
                retry = TimeSpan.FromMilliseconds(Math.Min(retry.TotalMilliseconds * 2, 5000));
                continue;
            }
            await using (stream)
            {
                _writer = new LinkWriter(stream);
                (FollowOutcome Outcome, string Reason) followed;
                try
                {
                    followed = await FollowAsync(stream, memoryLimit, lost is null ? TimeSpan.FromSeconds(10) : ReconnectWindow, cancellationToken);
                }
                finally
                {
                    _writer = null;
                    Volatile.Read(ref _switchoverAnswer)?.TrySetCanceled();
                }
                switch (followed.Outcome)
                {
                    case FollowOutcome.Refused:
                        // Refused (credentials, another slave): the master lives; stay a slave and ask again later.
                        lost = null;
                        Unreachable(followed.Reason, ++attempts, RefusedRetry);
                        await Task.Delay(RefusedRetry, cancellationToken);
                        continue;
                    case FollowOutcome.Unanswered when lost is not null:
                        Fail($"{lost}; the master does not answer the handshake again: {followed.Reason}");
                        return LinkEnd.MasterFailed;
                    case FollowOutcome.Unanswered:
                        Unreachable(followed.Reason, ++attempts, retry);
                        await Task.Delay(retry, cancellationToken);
                        continue;
                }
                if (_handedOver)
                {
                    return LinkEnd.HandedOver;
                }
                WasInSyncWhenLost = State == SlaveState.InSync;
                LastLoss = lost = followed.Reason;
                attempts = 0;
                retry = TimeSpan.FromMilliseconds(100);
                ReplicationLog.LinkLost(logger, slaveName, _masterUri, followed.Reason);
                if (_masterStopping)
                {
                    _masterStopping = false;
                    SetState(SlaveState.Connecting, $"master {MasterName} stops on purpose; waiting for it");
                    publish(BrokerEventKind.MasterFailed, $"{MasterName ?? _masterUri} stopped on purpose: not a failover");
                    return LinkEnd.MasterStopped;
                }
                SetState(SlaveState.Connecting, $"link lost ({followed.Reason}); reconnecting");
            }
        }
    }

    /// <summary>How long a slave waits before asking again a master that answered and refused it (login, certificate).</summary>
    private static readonly TimeSpan RefusedRetry = TimeSpan.FromSeconds(2);

    /// <summary>How long a master that was just lost has to answer again before it is failed (at least the heart-beat timeout).</summary>
    private TimeSpan ReconnectWindow => TimeSpan.FromMilliseconds(Math.Max(2000, 2 * options.MasterTimeout.TotalMilliseconds));

    private enum FollowOutcome
    {
        /// <summary>Established, then lost.</summary>
        Lost,

        /// <summary>The master answered and refused (credentials, another slave attached).</summary>
        Refused,

        /// <summary>No answer to the handshake.</summary>
        Unanswered,
    }

    private void Unreachable(string error, int attempt, TimeSpan retry, bool logged = false)
    {
        if (LastError is null)
        {
            LastErrorSince = DateTimeOffset.UtcNow;
        }
        LastError = error;
        if (!logged)
        {
            ReplicationLog.MasterUnreachable(logger, slaveName, _masterUri, attempt, error, (long)retry.TotalMilliseconds);
        }
    }

    /// <returns>How the link ended, and why.</returns>
    private async Task<(FollowOutcome, string)> FollowAsync(Stream stream, long memoryLimit, TimeSpan handshakeTimeout, CancellationToken cancellationToken)
    {
        var input = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
        try
        {
            await stream.WriteAsync(LinkProtocol.Preamble, cancellationToken);
            await LinkProtocol.WriteAsync(stream, LinkProtocol.PacketType.Hello, LinkProtocol.Json(new LinkProtocol.Hello(
                slaveName, userName, password, journal.LastSequence,
                [.. journal.Epochs.Entries.Select(e => new[] { e.Epoch, e.FirstSequence })], (long)options.MasterTimeout.TotalMilliseconds,
                ClientPort, ClientTls)), cancellationToken);
            await stream.FlushAsync(cancellationToken);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            // Accepted and closed at once (a proxy in front of a dead master, a closing listener): no answer.
            return (FollowOutcome.Unanswered, $"the connection closed before the handshake: {e.Message}");
        }
        using (var handshake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            handshake.CancelAfter(handshakeTimeout);
            (LinkProtocol.PacketType Type, byte[] Payload)? reply;
            try
            {
                reply = await LinkProtocol.ReadAsync(input, LinkProtocol.MaxPacket, handshake.Token);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                return (FollowOutcome.Unanswered, $"no answer to the handshake: {e.Message}");
            }
            switch (reply)
            {
                case (LinkProtocol.PacketType.Refused, var payload):
                    var refusal = LinkProtocol.FromJson<LinkProtocol.Refused>(payload).Reason;
                    ReplicationLog.SlaveRefused(logger, slaveName, _masterUri, refusal);
                    return (FollowOutcome.Refused, refusal);
                case (LinkProtocol.PacketType.Welcome, var payload):
                    var welcome = LinkProtocol.FromJson<LinkProtocol.Welcome>(payload);
                    MasterName = welcome.Master;
                    _ackOnReceipt = welcome.AckOnReceipt;
                    _durableAcked = 0;
                    MasterLastSequence = welcome.LastSequence;
                    ReplicationLog.SlaveConnectionEstablished(logger, slaveName, _masterUri);
                    LastError = null;
                    LastErrorSince = null;
                    SetState(SlaveState.Syncing, $"connected to {welcome.Master}, catching up from sequence {journal.LastSequence + 1}");
                    if (welcome.Snapshot)
                    {
                        await TakeSnapshotAsync(welcome, memoryLimit);
                    }
                    journal.ObserveEpochs(welcome.Epochs.Select(e => (e[0], e[1])));
                    break;
                case null:
                    return (FollowOutcome.Unanswered, "the master closed the connection during the handshake");
                default:
                    ReplicationLog.SlaveRefused(logger, slaveName, _masterUri, "the master did not answer the handshake");
                    return (FollowOutcome.Unanswered, "the master did not answer the handshake");
            }
        }
        return (FollowOutcome.Lost, await ReceiveAsync(stream, input, cancellationToken));
    }

    private async Task TakeSnapshotAsync(LinkProtocol.Welcome welcome, long memoryLimit)
    {
        ReplicationLog.TakingSnapshot(logger, slaveName, welcome.Master);
        var divergent = welcome.DivergedAt <= journal.LastSequence ? journal.LastSequence - welcome.DivergedAt + 1 : 0;
        string? setAside = null;
        if (divergent > 0)
        {
            // Records only this copy has (it went on alone): never served, kept for the operator, counted.
            setAside = Path.Combine(dataDirectory, "set-aside", $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-from-{welcome.DivergedAt}");
            ReplicationLog.RecordsSetAside(logger, slaveName, divergent, welcome.DivergedAt, setAside);
            publish(BrokerEventKind.RecordsSetAside, $"{divergent} records from sequence {welcome.DivergedAt} set aside in {setAside}");
            RecordsSetAside += divergent;
        }
        await journal.ResetAsync(setAside);
        Standby = new RecoveryState(memoryLimit);
        _snapshotting = true;
    }

    private bool _snapshotting;

    /// <summary>Records this broker wrote that its master's history lacked, set aside over its life.</summary>
    public long RecordsSetAside { get; private set; }

    private async Task<string> ReceiveAsync(Stream stream, PipeReader input, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                using var silence = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                silence.CancelAfter(options.MasterTimeout);
                (LinkProtocol.PacketType Type, byte[] Payload)? packet;
                try
                {
                    packet = await LinkProtocol.ReadAsync(input, LinkProtocol.MaxPacket, silence.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    return $"no heart-beat from the master within {options.MasterTimeout.TotalMilliseconds:0} ms";
                }
                LastHeardAt = DateTimeOffset.UtcNow;
                switch (packet)
                {
                    case null:
                        return "the master closed the link";
                    case (LinkProtocol.PacketType.Records, var payload):
                        var durable = Apply(payload);
                        // Received at once when the master waits for that; durable once it is on disk. The next
                        // packets are read meanwhile, so the journal's group commit spans several of them.
                        if (_ackOnReceipt)
                        {
                            await Ack(journal.LastSequence, journal.DurableSequence);
                        }
                        _ = AckWhenDurableAsync(durable);
                        break;
                    case (LinkProtocol.PacketType.CaughtUp, var payload):
                        _snapshotting = false;
                        SetState(SlaveState.InSync, $"in sync with {MasterName} at sequence {LinkProtocol.Long(payload, 0) - 1}");
                        ReplicationLog.SlaveCaughtUp(logger, slaveName, MasterName ?? "?", LinkProtocol.Long(payload, 0) - 1);
                        publish(BrokerEventKind.ResyncFinished, $"in sync with {MasterName} at sequence {LinkProtocol.Long(payload, 0) - 1}");
                        await Ack(journal.LastSequence, journal.DurableSequence);
                        InSync?.Invoke();
                        break;
                    case (LinkProtocol.PacketType.Handover, var payload):
                        if (await TakeOverAsync(LinkProtocol.Long(payload, 0), cancellationToken))
                        {
                            await ReadUntilTheMasterClosesAsync(input, cancellationToken);
                            return "the master handed over";
                        }
                        break;
                    case (LinkProtocol.PacketType.SwitchoverRefused, var payload):
                        Volatile.Read(ref _switchoverAnswer)?.TrySetResult(LinkProtocol.FromJson<LinkProtocol.Refused>(payload).Reason);
                        break;
                    case (LinkProtocol.PacketType.Stopping, _):
                        _masterStopping = true;
                        return "the master stops on purpose";
                    case (LinkProtocol.PacketType.Ping, var payload):
                        MasterLastSequence = LinkProtocol.Long(payload, 0);
                        await Ack(journal.LastSequence, journal.DurableSequence);
                        break;
                }
            }
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ObjectDisposedException)
        {
            return e.Message;
        }

        Task Ack(long received, long durable) =>
            SendAsync(LinkProtocol.PacketType.Ack, LinkProtocol.Longs(received, durable), cancellationToken);

        async Task AckWhenDurableAsync(Task durable)
        {
            try
            {
                await durable;
                // One fsync makes several packets durable: one ack says so. Acks only grow on the master's
                // side, so one overtaken by a later one does no harm.
                var durableNow = journal.DurableSequence;
                if (durableNow > Interlocked.Exchange(ref _durableAcked, durableNow) || _ackOnReceipt)
                {
                    await Ack(journal.LastSequence, durableNow);
                }
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
            {
                // The link is gone; the master learns it from the link itself.
            }
        }
    }

    /// <summary>How long a slave that took over reads on, waiting for its former master to close the link.</summary>
    private static readonly TimeSpan HandoverCloseWait = TimeSpan.FromSeconds(2);

    /// <summary>
    /// After the TakenOver answer: closing here with the master's heart-beats unread would reset the connection, and a
    /// reset can discard that answer before the master reads it (the master then stops, thinking the handover failed).
    /// So read on until the master closes (it does once it has the answer), for a bounded time.
    /// </summary>
    private static async Task ReadUntilTheMasterClosesAsync(PipeReader input, CancellationToken cancellationToken)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(HandoverCloseWait);
        try
        {
            while (true)
            {
                var read = await input.ReadAsync(wait.Token);
                input.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted)
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // Closed under us, or the master is slow to close: the answer was written either way.
        }
    }

    /// <summary>
    /// A planned switchover: the master takes no more writes and its last record is <paramref name="finalSequence"/>.
    /// With exactly that record here and durable, this broker takes over and answers with its client port;
    /// otherwise it refuses and goes on following.
    /// </summary>
    private async Task<bool> TakeOverAsync(long finalSequence, CancellationToken cancellationToken)
    {
        if (State != SlaveState.InSync || journal.LastSequence != finalSequence)
        {
            var refusal = $"slave {slaveName} holds sequence {journal.LastSequence} ({State}), the master ended at {finalSequence}";
            await SendAsync(LinkProtocol.PacketType.TakenOver, LinkProtocol.Json(new LinkProtocol.TakenOver(0, refusal)), cancellationToken);
            return false;
        }
        await journal.WhenDurable(finalSequence).WaitAsync(cancellationToken);
        ReplicationLog.TakingOver(logger, slaveName, MasterName ?? _masterUri, finalSequence);
        (int Port, bool Tls) serving;
        try
        {
            serving = await takeOver();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The master is told, so it serves on instead of waiting for a partner that never opened.
            ReplicationLog.TakeOverFailed(logger, e, slaveName);
            await SendAsync(LinkProtocol.PacketType.TakenOver, LinkProtocol.Json(new LinkProtocol.TakenOver(0, $"slave {slaveName} could not take over: {e.Message}")), cancellationToken);
            return false;
        }
        _handedOver = true;
        await SendAsync(LinkProtocol.PacketType.TakenOver, LinkProtocol.Json(new LinkProtocol.TakenOver(serving.Port, null, serving.Tls)), cancellationToken);
        return true;
    }

    private Task SendAsync(LinkProtocol.PacketType type, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) =>
        (_writer ?? throw new InvalidOperationException($"slave {slaveName} is not connected to its master")).WriteAsync(type, payload, cancellationToken);

    /// <summary>Appends each shipped record to the journal and folds it into the standby state.</summary>
    private Task Apply(byte[] payload)
    {
        var durable = Task.CompletedTask;
        var offset = 0;
        while (offset + RecordCodec.HeaderSize <= payload.Length)
        {
            var header = RecordCodec.ReadHeader(payload.AsSpan(offset));
            var raw = payload.AsSpan(offset, header.TotalLength);
            var (ticket, record) = journal.AppendReplicated(raw, allowGap: _snapshotting);
            if (record is not null)
            {
                Standby.Apply(header.Sequence, record);
            }
            durable = ticket.Durable;
            MasterLastSequence = Math.Max(MasterLastSequence, header.Sequence);
            offset += header.TotalLength;
        }
        return durable;
    }

    private void Fail(string reason)
    {
        ReplicationLog.LinkLost(logger, slaveName, _masterUri, reason);
        SetState(SlaveState.MasterFailed, reason);
        publish(BrokerEventKind.MasterFailed, $"{MasterName ?? _masterUri}: {reason}");
    }

    /// <summary>A TCP connection to the master, with TLS (its certificate checked, see <see cref="MasterCertificatePolicy"/>) for <c>ssl://</c>; both within <paramref name="connectTimeout"/>.</summary>
    private async Task<Stream> ConnectAsync(ConnectorUri uri, TimeSpan connectTimeout, CancellationToken cancellationToken)
    {
        var tcp = new TcpClient { NoDelay = true };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(connectTimeout);
        try
        {
            await tcp.ConnectAsync(uri.Host, uri.Port, timeout.Token);
            if (!uri.Tls)
            {
                return tcp.GetStream();
            }
            _certificates ??= MasterCertificatePolicy.For(options);
            var refusal = new StrongBox<string?>();
            var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
            try
            {
                await tls.AuthenticateAsClientAsync(_certificates.ClientOptions(uri.Host, refusal), timeout.Token);
            }
            catch (AuthenticationException) when (refusal.Value is { } presented)
            {
                await tls.DisposeAsync();
                throw new MasterCertificateRejectedException(_certificates.Expected(uri.Host), presented);
            }
            catch
            {
                await tls.DisposeAsync();
                throw;
            }
            return tls;
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    private MasterCertificatePolicy? _certificates;
}
