using System.IO.Pipelines;
using Broker.Core;
using Broker.Core.Connections;
using Broker.Core.Events;
using Broker.Core.Handover;
using Broker.Core.Security;
using Broker.Core.Storage;
using Broker.Replication;
using Broker.Storage;
using Microsoft.Extensions.Logging;

namespace Broker.Server;

/// <summary>
/// One broker's life: its journal, its <see cref="MessageBroker"/>, its connectors (through
/// <see cref="IClientEndpoints"/>) and its place in a master/slave pair. A master recovers from its journal and
/// opens its connectors; a slave follows its master over the replication link with its connectors closed and
/// takes over when the master is lost while it was in sync. Where it stands is one <see cref="LifecycleStatus"/>,
/// moved only along legal transitions and logged on each; operator actions pass one at a time.
/// </summary>
public sealed partial class BrokerLifecycle : IConnectionHandoff, IAsyncDisposable
{
    private readonly ILogger _logger;
    private readonly ILoggerFactory _loggerFactory;
    private readonly CancellationTokenSource _stopping = new();
    private readonly LifecycleStateMachine _machine;
    // One operator action (or handover) at a time; a second one is refused with the reason, never interleaved.
    private readonly SemaphoreSlim _actions = new(1, 1);
    private Journal? _journal;
    private ReplicationMaster? _master;
    private SlaveLink? _slave;
    private ReplicationOptions _following;
    private Task? _followTask;
    private CancellationTokenSource? _follow;
    private TaskCompletionSource _promotion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _promotingByOperator;
    private CancellationTokenSource? _watchingPeer;
    // What an operator's Start does: serve as master, or follow _following. A master that handed over follows its partner.
    private bool _servesAsMaster;
    private long _protectedThrough;
    private readonly Activation _activation;

    public BrokerLifecycle(BrokerDefinition definition, EventLog events, IBrokerAuthenticator authenticator,
        Func<MessageBroker, IConnectionHandoff, IClientEndpoints> endpoints, ILoggerFactory loggerFactory)
    {
        Definition = definition;
        Authenticator = authenticator;
        _logger = loggerFactory.CreateLogger<BrokerLifecycle>();
        _loggerFactory = loggerFactory;
        _machine = new LifecycleStateMachine(definition.Name, (name, before, after) =>
            LifecycleLog.Transition(_logger, name, before.Name, after.Name, after.Reason));
        _machine.Changed += status => StatusChanged?.Invoke(status);
        Broker = new MessageBroker(definition.Name, definition.Options, events, loggerFactory.CreateLogger<MessageBroker>());
        Endpoints = endpoints(Broker, this);
        _servesAsMaster = !definition.Replication.IsSlave;
        _following = definition.Replication;
        SetAside = new SetAsideArchives(definition.Name, definition.Options.DataDirectory, loggerFactory.CreateLogger<SetAsideArchives>());
        _activation = definition.HaMode switch
        {
            HaMode.SharedFileSystem or HaMode.Database => SharedStoreActivation(),
            _ => ReplicatedActivation(),
        };
    }

    public BrokerDefinition Definition { get; }

    public string Name => Definition.Name;

    public MessageBroker Broker { get; }

    public IClientEndpoints Endpoints { get; }

    public IBrokerAuthenticator Authenticator { get; }

    /// <summary>Where the broker stands, why, and since when: what the API, hub, console and readiness show.</summary>
    public LifecycleStatus Status => _machine.Status;

    public event Action<LifecycleStatus>? StatusChanged;

    /// <summary>The role of <see cref="Status"/>; while stopped, the role an operator's Start gives it.</summary>
    public LifecycleRole Role => Status switch
    {
        { Role: not LifecycleRole.None } status => status.Role,
        { State: LifecycleState.Stopped } => _servesAsMaster ? LifecycleRole.Master : LifecycleRole.Slave,
        _ => LifecycleRole.None,
    };

    /// <summary>Raised when the broker cannot go on and the process should stop (WaitForSlaveTimeout passed).</summary>
    public event Action<string>? Fatal;

    /// <summary>The journal (null before <see cref="Open"/>): set-aside replay reads the master's history from it.</summary>
    internal Journal? Journal => _journal;

    /// <summary>
    /// Flushes of the message store since it was opened: the journal's fdatasync batches, or the PostgreSQL store's
    /// commits. Against messages in, how well writes share a flush (group commit).
    /// </summary>
    public long StoreFlushes => _database?.CommitCount ?? _journal?.FlushCount ?? 0;

    /// <summary>Gives back what the store's index grew to hold (after a large backlog was drained).</summary>
    public void TrimMemory() => _journal?.TrimIndex();

    /// <summary>What this broker set aside after splits: listed, replayed into a master, discarded.</summary>
    public SetAsideArchives SetAside { get; }

    /// <summary>Serving from a journal that takes changes: a set-aside replay may go into it (a database store never splits).</summary>
    public bool TakesChanges => _journal is not null && Broker.IsWritable;

    public long Epoch => _journal?.Epoch ?? _database?.Epoch ?? 0;

    public long LastSequence => _journal?.LastSequence ?? _database?.LastSequence ?? 0;

    public long StoreUsedBytes => _journal?.UsedBytes ?? _database?.UsedBytes ?? 0;

    /// <summary>Records this broker wrote that its master's history lacked, set aside over its life.</summary>
    public long RecordsSetAside => _slave?.RecordsSetAside ?? 0;

    ReadOnlyMemory<byte> IConnectionHandoff.Preamble => ReplicationMaster.LinkPreamble;

    Task IConnectionHandoff.HandleAsync(Stream stream, PipeReader input, string remoteAddress, CancellationToken cancellationToken) =>
        _master?.HandleAsync(stream, input, remoteAddress, cancellationToken) ?? Task.CompletedTask;

    /// <summary>Opens the journal (Starting → Recovering); <see cref="StartAsync"/> then decides how to serve.</summary>
    /// <exception cref="BrokerStartException">The store is locked by another process or damaged.</exception>
    public void Open()
    {
        if (_activation.OpensStoreAtStart)
        {
            OpenJournal();
        }
    }

    private void OpenJournal()
    {
        if (_journal is not null)
        {
            return;
        }
        LifecycleLog.BrokerStarting(_logger, Name, Definition.Options.DataDirectory);
        _machine.MoveTo(LifecycleState.Recovering, $"opening {Definition.Options.DataDirectory}");
        var options = Definition.Options;
        try
        {
            _journal = Journal.Open(options.DataDirectory, Name, new JournalOptions
            {
                SegmentSize = options.JournalSegmentSize,
                StoreLimit = options.StoreLimit,
                SkipDamagedRecords = options.SkipDamagedRecords,
                AckFlushDelay = options.AckFlushDelay,
            }, _loggerFactory.CreateLogger<Journal>());
        }
        catch (Exception e) when (e is StoreLockedException or JournalCorruptException)
        {
            _machine.MoveTo(LifecycleState.Failed, e.Message);
            throw new BrokerStartException(e.Message, e);
        }
    }

    /// <summary>
    /// Starts as configured, or as <paramref name="role"/> says when the host found this broker's partner older or
    /// newer (a failover before the restart: configuration only says who is master on a fresh start).
    /// </summary>
    public Task StartAsync(StartRole? role = null) => _activation.Start(role);

    /// <summary>Pure master/slave: a master recovers and serves, a slave follows; a newer partner (Peer) makes a master rejoin it.</summary>
    private async Task StartReplicatedAsync(StartRole? role)
    {
        OpenJournal();
        var replication = Definition.Replication;
        if (role is { SlaveOf: { } slaveOf })
        {
            replication = replication.AsSlaveOf(slaveOf);
            _servesAsMaster = false;
        }
        else if (role is { AsMaster: true })
        {
            _servesAsMaster = true;
        }
        else if (_servesAsMaster && replication.Peer is { } peer && await FindNewerMasterAsync(peer) is { } newerMaster)
        {
            // Fencing: the partner took over while this broker was away; rejoin it as its slave.
            LifecycleLog.RejoiningAsSlave(_logger, Name, newerMaster);
            Publish(BrokerEventKind.Demoted, $"the partner at {newerMaster} is master at a later epoch; rejoining as its slave");
            replication = replication.AsSlaveOf(newerMaster);
            _servesAsMaster = false;
        }
        if (!_servesAsMaster)
        {
            StartStandby(replication, role?.Why ?? "configured as slave of " + replication.MasterUri);
            return;
        }
        Broker.Recover(CreateMasterStore(), _journal!.Replay());
        await BecomeMasterAsync(role?.Why ?? "configured as master");
    }

    /// <summary>An operator's stop: what serving or following ends with depends on how the broker became master (its activation).</summary>
    public async Task StopByOperatorAsync()
    {
        await RunActionAsync("stop", async () =>
        {
            if (Status.State is LifecycleState.Stopped or LifecycleState.Failed)
            {
                throw new InvalidOperationException($"broker {Name} is already {Status.Name}");
            }
            await _activation.Stop();
        });
    }

    /// <summary>A protected master hands over to its slave first (never a failover); a slave stops following.</summary>
    private async Task StopReplicatedAsync()
    {
        if (Status.State == LifecycleState.MasterProtected)
        {
            try
            {
                await HandOverCoreAsync("the operator stops it", thenStop: true);
                return;
            }
            catch (InvalidOperationException e)
            {
                // Called off (the slave fell behind meanwhile): stop as a master without a slave in sync.
                LifecycleLog.SwitchoverFailed(_logger, Name, $"stopping without handing over: {e.Message}");
            }
        }
        await StopFollowingAsync();
        await StopServingAsync();
        MoveToStopped("stopped by an operator");
    }

    /// <summary>An operator's start after a stop (or a failure): the activation decides whether it serves or waits.</summary>
    public async Task StartByOperatorAsync()
    {
        await RunActionAsync("start", async () =>
        {
            if (Status.State == LifecycleState.Failed)
            {
                _machine.MoveTo(LifecycleState.Stopped, "started again by an operator after a failure");
            }
            if (Status.State != LifecycleState.Stopped)
            {
                throw new InvalidOperationException($"broker {Name} is {Status.Name}, not stopped");
            }
            await _activation.StartAgain();
        });
    }

    /// <summary>
    /// A slave follows its master again; a master that handed over rejoins its partner as slave; a master whose partner
    /// serves meanwhile (it took over) rejoins it; otherwise it serves.
    /// </summary>
    private async Task StartReplicatedAgainAsync()
    {
        if (_servesAsMaster && _master?.PartnerUri is { } partner && await IsServingAsync(partner))
        {
            // The partner took over while this broker was stopped: a second master would split the pair.
            _servesAsMaster = false;
            _following = Definition.Replication.AsSlaveOf(partner);
            Publish(BrokerEventKind.Demoted, $"its partner serves at {partner}; rejoining it as slave");
        }
        if (!_servesAsMaster)
        {
            await ResetToStandbyAsync();
            StartStandby(_following, "started by an operator");
            return;
        }
        await BecomeMasterAsync("started by an operator");
    }

    /// <summary>An operator's promotion of a broker that is not master (refused where a lock or lease decides).</summary>
    public async Task PromoteByOperatorAsync()
    {
        await RunActionAsync("promote", async () =>
        {
            if (Role == LifecycleRole.Master)
            {
                throw new InvalidOperationException($"broker {Name} is already a master ({Status.Name})");
            }
            await _activation.Promote();
        });
    }

    /// <summary>A slave stops following and takes over with a new epoch, fencing a master that still lives.</summary>
    private async Task PromoteReplicatedAsync()
    {
        if (Role != LifecycleRole.Slave || _slave is null)
        {
            throw new InvalidOperationException($"broker {Name} is {Status.Name}: only a slave can be promoted");
        }
        // From here the link's own end ("the master closed the link") must not promote a second time.
        _promotingByOperator = true;
        if (_slave.State is SlaveState.Syncing or SlaveState.InSync)
        {
            // The master lives: fence it first, so that it stops serving and rejoins this broker as slave.
            await _slave.AnnouncePromotionAsync(_journal!.Epoch + 1, Endpoints.ClientPort, Endpoints.ClientTls, _stopping.Token)
                .ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        await StopFollowingAsync();
        try
        {
            await PromoteAsync("promoted by an operator", byOperator: true);
        }
        catch (InvalidOperationException)
        {
            // The witness said no: follow the master again.
            _promotingByOperator = false;
            Follow();
            throw;
        }
        if (Status.State == LifecycleState.Failed)
        {
            throw new InvalidOperationException($"broker {Name} could not be promoted: {Status.Reason}");
        }
    }

    /// <summary>The host stops: nothing is handed over and nothing fails over (a slave is told its master stops on purpose).</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        if (_followTask is not null)
        {
            await _followTask.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        if (_sharedStoreTask is not null)
        {
            await _sharedStoreTask.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        if (_master is not null)
        {
            await _master.DisposeAsync();
        }
        await StopServingAsync();
        if (Status.State is not (LifecycleState.Stopped or LifecycleState.Failed))
        {
            MoveToStopped("the host is stopping");
        }
        if (_journal is not null)
        {
            await _journal.DisposeAsync();
            _journal = null;
        }
        if (_database is not null)
        {
            await _database.DisposeAsync();
            _database = null;
        }
        // After the store: a waiting broker that takes the lock or the lease finds every record written.
        if (_claim is not null)
        {
            await _claim.ReleaseAsync();
            await _claim.DisposeAsync();
        }
        if (_witness is not null)
        {
            await _witness.DisposeAsync();
        }
    }

    /// <summary>The pair's figures as this broker sees them, consistent with <see cref="Status"/>.</summary>
    public ReplicationStatus Replication => ReplicationStatus.Of(this);

    internal ReplicationMaster? MasterSide => Status.Role == LifecycleRole.Master ? _master : null;

    internal SlaveLink? SlaveSide => Status.Role == LifecycleRole.Slave ? _slave : null;

    /// <summary>The last sequence known to be held by the partner too (acknowledged by the slave, or held by the old master at promotion).</summary>
    internal long ProtectedThrough => Math.Max(Interlocked.Read(ref _protectedThrough), _master?.AckedSequence ?? 0);

    private async Task RunActionAsync(string action, Func<Task> run)
    {
        if (!await _actions.WaitAsync(0))
        {
            throw new InvalidOperationException($"broker {Name} is busy ({Status.Name}: {Status.Reason}); {action} refused, try again when it is done");
        }
        try
        {
            await run();
        }
        catch (BrokerStartException e)
        {
            // An operator's start on a port taken meanwhile: a refusal with the reason (the broker is failed, start it again).
            throw new InvalidOperationException(e.Message, e);
        }
        finally
        {
            _actions.Release();
        }
    }

    /// <summary>Folds the journal into a standby state and follows the master <paramref name="replication"/> names.</summary>
    private void StartStandby(ReplicationOptions replication, string why, bool failBack = true)
    {
        _following = replication;
        var standby = new RecoveryState(Definition.Options.MemoryLimit);
        foreach (var (sequence, record) in _journal!.Replay())
        {
            standby.Apply(sequence, record);
        }
        var slave = new SlaveLink(Name, Definition.Options.DataDirectory, _journal, standby, replication,
            replication.MasterConnector?.UserName ?? Definition.ReplicationUser, replication.MasterConnector?.Password ?? Definition.ReplicationPassword,
            Publish, TakeOverAsync, _loggerFactory.CreateLogger<SlaveLink>())
        {
            ClientPort = Definition.Connectors.Count > 0 ? Definition.Connectors[0].Port : 0,
            ClientTls = Definition.Connectors.Count > 0 && Definition.Connectors[0].Tls,
        };
        slave.StateChanged += OnSlaveStateChanged;
        _slave = slave;
        if (failBack && !Definition.Replication.IsSlave && Definition.Replication.AllowFailback)
        {
            // A configured master that rejoined after a failure takes its role back once it holds everything
            // (not after a planned switchover: that was the operator's choice).
            slave.InSync += () => _ = Task.Run(async () =>
            {
                try
                {
                    await slave.RequestSwitchoverAsync(_stopping.Token);
                }
                catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException or OperationCanceledException)
                {
                    LifecycleLog.SwitchoverFailed(_logger, Name, $"failback not requested: {e.Message}");
                }
            });
        }
        _machine.MoveTo(LifecycleState.WaitingForMaster, why);
        Follow();
    }

    private void OnSlaveStateChanged(SlaveState state, string reason)
    {
        switch (state)
        {
            case SlaveState.Connecting:
                _machine.TryMove([LifecycleState.CatchingUp, LifecycleState.InSync], LifecycleState.WaitingForMaster, reason);
                break;
            case SlaveState.Syncing:
                _machine.TryMove([LifecycleState.WaitingForMaster, LifecycleState.InSync], LifecycleState.CatchingUp, reason);
                break;
            case SlaveState.InSync:
                _machine.TryMove([LifecycleState.WaitingForMaster, LifecycleState.CatchingUp], LifecycleState.InSync, reason);
                break;
        }
    }

    private void Follow()
    {
        _follow = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        // Task.Run: background loops never run on the caller's synchronization context (a Blazor circuit's, a test
        // runner's), where a blocked thread would hold up the heart-beats and acks of every broker.
        var token = _follow.Token;
        _followTask = Task.Run(() => FollowMasterAsync(token));
    }

    private async Task StopFollowingAsync()
    {
        if (_follow is { } follow)
        {
            await follow.CancelAsync();
            await _followTask!.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>Closes the connectors and stops dispatching; the journal and the state stay.</summary>
    private async Task StopServingAsync()
    {
        _watchingPeer?.Cancel();
        await Endpoints.CloseAsync();
        await Broker.StopAsync();
        // After the last write: the partner may take the witness's lease at once.
        await StopWitnessGuardAsync(release: true);
    }

    private void MoveToStopped(string why)
    {
        _machine.MoveTo(LifecycleState.Stopped, why);
        Publish(BrokerEventKind.BrokerStopped, why);
    }

    private ReplicatedStore CreateMasterStore()
    {
        _master = new ReplicationMaster(Name, _journal!, Definition.Replication, Authenticator, Publish, _loggerFactory.CreateLogger<ReplicationMaster>());
        _master.StateChanged += OnMasterLinkChanged;
        _master.ShutdownRequested += () => _ = Task.Run(async () =>
        {
            await StopServingAsync();
            if (_machine.TryMove([LifecycleState.MasterUnprotected, LifecycleState.MasterProtected], LifecycleState.Stopped, "the slave failed and ShutdownOnSlaveFailure is set"))
            {
                Publish(BrokerEventKind.BrokerStopped, "the slave failed and ShutdownOnSlaveFailure is set");
            }
        });
        _master.SwitchoverRequested += () => _ = Task.Run(async () =>
        {
            try
            {
                await RunActionAsync("switchover", () => HandOverCoreAsync("asked by the slave", thenStop: false));
            }
            catch (InvalidOperationException e)
            {
                LifecycleLog.SwitchoverFailed(_logger, Name, e.Message);
                _master?.RefuseSwitchover(e.Message);
            }
        });
        _master.PartnerPromoted += partner => _ = Task.Run(async () =>
        {
            try
            {
                await FencedByPartnerAsync(partner, "the partner was promoted by an operator");
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LifecycleLog.SwitchoverFailed(_logger, Name, $"fenced, but could not rejoin {partner}: {e.Message}");
            }
        });
        return new ReplicatedStore(_journal!, _master, Definition.Replication);
    }

    private void OnMasterLinkChanged(LinkState state, string slave, string reason)
    {
        if (state == LinkState.InSync)
        {
            if (Broker.ClientRefusal is { Reconnect: false })
            {
                Broker.ClientRefusal = null;
            }
            _machine.TryMove([LifecycleState.WaitingForSlave, LifecycleState.MasterUnprotected], LifecycleState.MasterProtected, $"slave {slave} in sync");
        }
        else if (state == LinkState.None)
        {
            Interlocked.Exchange(ref _protectedThrough, Math.Max(Interlocked.Read(ref _protectedThrough), _master?.AckedSequence ?? 0));
            _machine.TryMove([LifecycleState.MasterProtected], LifecycleState.MasterUnprotected, $"slave {slave} detached: {reason}");
        }
    }

    private async Task BecomeMasterAsync(string why)
    {
        // Whatever a switchover left behind (held writes, dismissed sessions) ends when this broker serves again.
        Broker.Resume();
        Broker.Start();
        var waitForSlave = Definition.Replication.WaitForSlave && _master?.IsInSync != true;
        if (waitForSlave)
        {
            // Listeners open so the slave can attach, but clients are told to wait until it is in sync.
            Broker.ClientRefusal = new ClientRefusal("waiting for slave");
        }
        // With a witness, clients are admitted only while this broker holds its lease.
        await GuardWithWitnessAsync();
        try
        {
            Endpoints.Open();
        }
        catch (EndpointUnavailableException e)
        {
            await StopServingAsync();
            _machine.MoveTo(LifecycleState.Failed, e.Message);
            throw new BrokerStartException(e.Message, e);
        }
        _servesAsMaster = true;
        _machine.MoveTo(_activation.ServesUnderLock ? LifecycleState.MasterHoldingLock
            : waitForSlave ? LifecycleState.WaitingForSlave
            : _master?.IsInSync == true ? LifecycleState.MasterProtected : LifecycleState.MasterUnprotected, why);
        LifecycleLog.BrokerStarted(_logger, Name);
        if (Definition.Replication.Peer is { } peer)
        {
            _watchingPeer?.Cancel();
            _watchingPeer = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            var watching = _watchingPeer.Token;
            _ = Task.Run(() => WatchPeerAsync(peer, watching));
        }
        if (waitForSlave)
        {
            _ = Task.Run(WaitForSlaveAsync);
        }
    }

    private async Task WaitForSlaveAsync()
    {
        var timeout = Definition.Replication.WaitForSlaveTimeout;
        var inSync = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnChanged(LifecycleStatus status)
        {
            if (status.State != LifecycleState.WaitingForSlave)
            {
                inSync.TrySetResult();
            }
        }
        StatusChanged += OnChanged;
        try
        {
            if (Status.State == LifecycleState.WaitingForSlave)
            {
                await inSync.Task.WaitAsync(timeout, _stopping.Token);
            }
            return;
        }
        catch (OperationCanceledException)
        {
            return;
        }
        catch (TimeoutException)
        {
            // Falls through to give up below.
        }
        finally
        {
            StatusChanged -= OnChanged;
        }
        var reason = $"broker {Name}: no slave attached and in sync within WaitForSlaveTimeout ({timeout.TotalSeconds:0} s)";
        LifecycleLog.StartupFailed(_logger, reason);
        await StopServingAsync();
        _machine.MoveTo(LifecycleState.Failed, reason);
        Fatal?.Invoke(reason);
    }

    private async Task FollowMasterAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            LinkEnd end;
            try
            {
                end = await _slave!.RunAsync(Definition.Options.MemoryLimit, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e)
            {
                // Never a silent standby that stopped following: say it, and stay for the operator to act.
                LifecycleLog.FollowingFailed(_logger, e, Name);
                _machine.MoveTo(LifecycleState.Failed, $"stopped following its master: {e.Message}");
                Publish(BrokerEventKind.BrokerStopped, $"stopped following its master: {e.Message}");
                return;
            }
            if (end == LinkEnd.HandedOver || _promotingByOperator)
            {
                return;
            }
            if (end == LinkEnd.MasterStopped || !_slave.WasInSyncWhenLost)
            {
                // A master stopped on purpose, or lost while this copy lacks what it acknowledged: wait for it.
                if (end == LinkEnd.MasterFailed)
                {
                    LifecycleLog.NotPromotingBehind(_logger, Name, _slave.LastLoss ?? "the link was lost");
                }
                continue;
            }
            if (Definition.Replication.ShutdownOnMasterFailure)
            {
                LifecycleLog.ShutdownOnMasterFailure(_logger, Name);
                MoveToStopped("master failed and ShutdownOnMasterFailure is set");
                return;
            }
            // With a witness, only holding its lease: a master that lives keeps renewing it, though the link is cut.
            if (await TakeWitnessLeaseAsync(cancellationToken) is { } refusal)
            {
                if (WitnessRefusal(refusal) != Status.Reason)
                {
                    LifecycleLog.WitnessRefusesPromotion(_logger, Name, refusal);
                }
                _machine.Restate(Status.State, WitnessRefusal(refusal));
                _slave.ResumeAfterLoss(refusal);
                continue;
            }
            // The link already published MasterFailed with its reason; the log keeps ActiveMQ's wording.
            LifecycleLog.MasterFailed(_logger, Name);
            await PromoteAsync("the master failed", byOperator: false);
            return;
        }
    }

    /// <summary>The slave takes over: a new epoch, the state it already holds, its connectors opened.</summary>
    private async Task PromoteAsync(string why, bool byOperator)
    {
        LifecycleState[] from = byOperator
            ? [LifecycleState.WaitingForMaster, LifecycleState.CatchingUp, LifecycleState.InSync, LifecycleState.Stopped]
            : [LifecycleState.WaitingForMaster, LifecycleState.InSync];
        if (!from.Contains(Status.State))
        {
            return;
        }
        if (byOperator && await TakeWitnessLeaseAsync(_stopping.Token) is { } refusal)
        {
            throw new InvalidOperationException($"broker {Name} does not promote: {refusal}");
        }
        if (!_machine.TryMove(from, LifecycleState.Promoting, why))
        {
            return;
        }
        long epoch;
        try
        {
            // The journal ends exactly at the master's last complete, durable record before this broker writes its own.
            epoch = await _journal!.BeginEpochAsync();
        }
        catch (Exception e) when (e is JournalCorruptException or StoreFullException or IOException)
        {
            LifecycleLog.PromotionFailed(_logger, e, Name);
            await StopWitnessGuardAsync(release: true);
            _machine.MoveTo(LifecycleState.Failed, $"cannot promote: {e.Message}");
            Publish(BrokerEventKind.BrokerStopped, $"cannot promote: {e.Message}");
            return;
        }
        // Everything up to here is on the former master too (it shipped it): not "unreplicated".
        Interlocked.Exchange(ref _protectedThrough, _journal.LastSequence);
        Broker.Recover(CreateMasterStore(), _slave!.Standby);
        await BecomeMasterAsync($"{why}: promoted at epoch {epoch}");
        _promotion.TrySetResult();
        Publish(BrokerEventKind.Promoted, $"{why}: promoted to master at epoch {epoch}, sequence {_journal.LastSequence}");
    }

    /// <summary>Forgets the broker state a master served from, before it follows a master again.</summary>
    private async Task ResetToStandbyAsync()
    {
        await StopServingAsync();
        if (_master is { } master)
        {
            _master = null;
            await master.DisposeAsync();
        }
        Broker.ResetForStandby();
        _promotingByOperator = false;
        _promotion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private void Publish(BrokerEventKind kind, string detail) => Broker.Publish(kind, detail);
}
