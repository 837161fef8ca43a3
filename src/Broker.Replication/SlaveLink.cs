using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;
using Broker.Core.Events;
using Broker.Core.Storage;
using Broker.Storage;
using Broker.Stomp.Connectors;
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
    /// <summary>The master was lost: promote (or shut down, as configured).</summary>
    MasterFailed,

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
    Func<Task<int>> takeOver,
    ILogger logger)
{
    private readonly string _masterUri = options.MasterUri!;
    private LinkWriter? _writer;
    private bool _ackOnReceipt;
    private long _durableAcked;
    private bool _handedOver;

    /// <summary>Raised (on the link's loop) each time this slave comes into sync with its master.</summary>
    public event Action? InSync;

    public SlaveState State { get; private set; } = SlaveState.Connecting;

    /// <summary>The standby state: everything the master shipped, folded, ready for promotion.</summary>
    public RecoveryState Standby { get; private set; } = initialState;

    public string? MasterName { get; private set; }

    public long MasterLastSequence { get; private set; }

    public long LastReceivedSequence => journal.LastSequence;

    public DateTimeOffset? LastHeardAt { get; private set; }

    /// <summary>Asks the master for a planned switchover to this slave; the answer is the handover itself.</summary>
    public Task RequestSwitchoverAsync(CancellationToken cancellationToken) =>
        SendAsync(LinkProtocol.PacketType.SwitchoverRequest, ReadOnlyMemory<byte>.Empty, cancellationToken);

    /// <summary>Fences a live master before an operator's promotion: it stops serving and rejoins this broker on <paramref name="port"/>.</summary>
    public Task AnnouncePromotionAsync(long epoch, int port, CancellationToken cancellationToken) =>
        SendAsync(LinkProtocol.PacketType.Promoting, LinkProtocol.Json(new LinkProtocol.Promoting(epoch, port)), cancellationToken);

    /// <summary>Follows the master until it fails or hands over (then returns) or <paramref name="cancellationToken"/> fires (then throws).</summary>
    public async Task<LinkEnd> RunAsync(long memoryLimit, CancellationToken cancellationToken)
    {
        if (!ConnectorUri.TryParse(_masterUri, out var uri, out var error))
        {
            throw new InvalidOperationException(error);
        }
        ReplicationLog.StartingSlaveConnection(logger, slaveName, _masterUri);
        var established = false;
        var retry = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Stream stream;
            try
            {
                stream = await ConnectAsync(uri, cancellationToken);
            }
            catch (Exception e) when (e is SocketException or IOException or System.Security.Authentication.AuthenticationException
                                         or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                if (established)
                {
                    Fail($"cannot reconnect: {e.Message}");
                    return LinkEnd.MasterFailed;
                }
                // The master is not up yet: a slave waits for it, it never takes over a master it has not known.
                await Task.Delay(retry, cancellationToken);
                retry = TimeSpan.FromMilliseconds(Math.Min(retry.TotalMilliseconds * 2, 2000));
                continue;
            }
            await using (stream)
            {
                _writer = new LinkWriter(stream);
                string? outcome;
                try
                {
                    outcome = await FollowAsync(stream, memoryLimit, cancellationToken);
                }
                finally
                {
                    _writer = null;
                }
                if (outcome is null)
                {
                    // Refused (credentials, another slave): stay a slave and ask again later.
                    await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
                    continue;
                }
                if (_handedOver)
                {
                    return LinkEnd.HandedOver;
                }
                established = true;
                Fail(outcome);
                return LinkEnd.MasterFailed;
            }
        }
    }

    /// <returns>Why the link was lost, or null when the master refused us.</returns>
    private async Task<string?> FollowAsync(Stream stream, long memoryLimit, CancellationToken cancellationToken)
    {
        var input = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
        await stream.WriteAsync(LinkProtocol.Preamble, cancellationToken);
        await LinkProtocol.WriteAsync(stream, LinkProtocol.PacketType.Hello, LinkProtocol.Json(new LinkProtocol.Hello(
            slaveName, userName, password, journal.LastSequence,
            [.. journal.Epochs.Entries.Select(e => new[] { e.Epoch, e.FirstSequence })], (long)options.MasterTimeout.TotalMilliseconds)), cancellationToken);
        await stream.FlushAsync(cancellationToken);
        using (var handshake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            handshake.CancelAfter(TimeSpan.FromSeconds(10));
            (LinkProtocol.PacketType Type, byte[] Payload)? reply;
            try
            {
                reply = await LinkProtocol.ReadAsync(input, handshake.Token);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                ReplicationLog.SlaveRefused(logger, slaveName, _masterUri, $"no answer to the handshake: {e.Message}");
                return null;
            }
            switch (reply)
            {
                case (LinkProtocol.PacketType.Refused, var payload):
                    ReplicationLog.SlaveRefused(logger, slaveName, _masterUri, LinkProtocol.FromJson<LinkProtocol.Refused>(payload).Reason);
                    return null;
                case (LinkProtocol.PacketType.Welcome, var payload):
                    var welcome = LinkProtocol.FromJson<LinkProtocol.Welcome>(payload);
                    MasterName = welcome.Master;
                    _ackOnReceipt = welcome.AckOnReceipt;
                    _durableAcked = 0;
                    MasterLastSequence = welcome.LastSequence;
                    ReplicationLog.SlaveConnectionEstablished(logger, slaveName, _masterUri);
                    State = SlaveState.Syncing;
                    if (welcome.Snapshot)
                    {
                        await TakeSnapshotAsync(welcome, memoryLimit);
                    }
                    journal.ObserveEpochs(welcome.Epochs.Select(e => (e[0], e[1])));
                    break;
                default:
                    ReplicationLog.SlaveRefused(logger, slaveName, _masterUri, "the master did not answer the handshake");
                    return null;
            }
        }
        return await ReceiveAsync(stream, input, cancellationToken);
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
                    packet = await LinkProtocol.ReadAsync(input, silence.Token);
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
                        State = SlaveState.InSync;
                        ReplicationLog.SlaveCaughtUp(logger, slaveName, MasterName ?? "?", LinkProtocol.Long(payload, 0) - 1);
                        publish(BrokerEventKind.ResyncFinished, $"in sync with {MasterName} at sequence {LinkProtocol.Long(payload, 0) - 1}");
                        await Ack(journal.LastSequence, journal.DurableSequence);
                        InSync?.Invoke();
                        break;
                    case (LinkProtocol.PacketType.Handover, var payload):
                        if (await TakeOverAsync(LinkProtocol.Long(payload, 0), cancellationToken))
                        {
                            return "the master handed over";
                        }
                        break;
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
        int port;
        try
        {
            port = await takeOver();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The master is told, so it serves on instead of waiting for a partner that never opened.
            ReplicationLog.TakeOverFailed(logger, e, slaveName);
            await SendAsync(LinkProtocol.PacketType.TakenOver, LinkProtocol.Json(new LinkProtocol.TakenOver(0, $"slave {slaveName} could not take over: {e.Message}")), cancellationToken);
            return false;
        }
        _handedOver = true;
        await SendAsync(LinkProtocol.PacketType.TakenOver, LinkProtocol.Json(new LinkProtocol.TakenOver(port, null)), cancellationToken);
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
        State = SlaveState.MasterFailed;
        publish(BrokerEventKind.MasterFailed, $"{MasterName ?? _masterUri}: {reason}");
    }

    private static async Task<Stream> ConnectAsync(ConnectorUri uri, CancellationToken cancellationToken)
    {
        var tcp = new TcpClient { NoDelay = true };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            await tcp.ConnectAsync(uri.Host, uri.Port, timeout.Token);
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
        Stream stream = tcp.GetStream();
        if (uri.Tls)
        {
            // The link is authenticated by the replication login; the master's certificate is not pinned here.
            var tls = new SslStream(stream, false, (_, _, _, _) => true);
            await tls.AuthenticateAsClientAsync(uri.Host);
            stream = tls;
        }
        return stream;
    }
}
