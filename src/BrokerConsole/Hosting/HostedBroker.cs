using System.IO.Pipelines;
using System.Security.Cryptography.X509Certificates;
using Broker.Core;
using Broker.Core.Events;
using Broker.Core.Handover;
using Broker.Core.Security;
using Broker.Core.Storage;
using Broker.Replication;
using Broker.Stomp.Connectors;
using Broker.Stomp.Sessions;
using Broker.Storage;

namespace BrokerConsole.Hosting;

/// <summary>What a hosted broker is in its pair.</summary>
public enum BrokerRole
{
    Master,
    Slave,
}

/// <summary>
/// One configured broker with its journal, its client connectors and its place in a master/slave pair.
/// A master recovers from its journal and opens its connectors; a slave follows its master over the
/// replication link with its connectors closed, and on the master's failure is promoted: a new epoch, the
/// standby state handed to the broker, the connectors opened. Every transition is logged and published.
/// </summary>
public sealed partial class HostedBroker : IConnectionHandoff, IAsyncDisposable
{
    private readonly ILogger _logger;
    private readonly ILoggerFactory _loggerFactory;
    private readonly EventLog _events;
    private readonly CancellationTokenSource _stopping = new();
    private Journal? _journal;
    private ReplicationMaster? _master;
    private SlaveLink? _slave;
    private readonly SemaphoreSlim _transition = new(1, 1);
    private Task? _following;
    private CancellationTokenSource? _follow;
    private TaskCompletionSource _promotion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _promotingByOperator;
    private CancellationTokenSource? _watchingPeer;

    public HostedBroker(BrokerDefinition definition, EventLog events, IBrokerAuthenticator authenticator,
        StompServerOptions stompOptions, ILoggerFactory loggerFactory)
    {
        Definition = definition;
        _events = events;
        _logger = loggerFactory.CreateLogger<HostedBroker>();
        _loggerFactory = loggerFactory;
        Broker = new MessageBroker(definition.Name, definition.Options, events, loggerFactory.CreateLogger<MessageBroker>());
        var certificate = LoadCertificate(definition.Tls);
        Connectors = [.. definition.Connectors.Select(uri => new StompTcpConnector(uri, Broker, authenticator, stompOptions, certificate, loggerFactory, this))];
        Authenticator = authenticator;
        StompOptions = stompOptions;
        Role = definition.Replication.IsSlave ? BrokerRole.Slave : BrokerRole.Master;
    }

    public BrokerDefinition Definition { get; }

    public string Name => Definition.Name;

    public MessageBroker Broker { get; }

    public IReadOnlyList<StompTcpConnector> Connectors { get; }

    public IBrokerAuthenticator Authenticator { get; }

    public StompServerOptions StompOptions { get; }

    public BrokerRole Role { get; private set; }

    /// <summary>Clients are served (TCP and WebSocket) only while this is true.</summary>
    public bool ConnectorsOpen { get; private set; }

    /// <summary>The broker's journal once started (null before).</summary>
    public Journal? Journal => _journal;

    /// <summary>The master side of the pair (null while this broker is a slave).</summary>
    public ReplicationMaster? Master => _master;

    /// <summary>The slave side of the pair (null for a broker that was never a slave).</summary>
    public SlaveLink? Slave => _slave;

    /// <summary>Stopped on purpose, by an operator or by ShutdownOnMasterFailure (health counts it as settled).</summary>
    public bool StoppedByOperator { get; private set; }

    /// <summary>Raised when the broker cannot go on and the process should stop (WaitForSlaveTimeout passed).</summary>
    public event Action<string>? Fatal;

    ReadOnlyMemory<byte> IConnectionHandoff.Preamble => ReplicationMaster.LinkPreamble;

    public Task HandleAsync(Stream stream, PipeReader input, string remoteAddress, CancellationToken cancellationToken) =>
        _master?.HandleAsync(stream, input, remoteAddress, cancellationToken) ?? Task.CompletedTask;

    public async Task StartAsync()
    {
        if (_journal is not null)
        {
            // Started again after an operator's stop: the journal and the state are still here.
            if (Role == BrokerRole.Master)
            {
                await BecomeMasterAsync();
            }
            return;
        }
        HostLog.BrokerStarting(_logger, Name, Definition.Options.DataDirectory);
        var options = Definition.Options;
        _journal = Journal.Open(options.DataDirectory, Name, new JournalOptions
        {
            SegmentSize = options.JournalSegmentSize,
            StoreLimit = options.StoreLimit,
            SkipDamagedRecords = options.SkipDamagedRecords,
        }, _loggerFactory.CreateLogger<Journal>());
        var replication = Definition.Replication;
        if (Role == BrokerRole.Master && replication.Peer is { } peer && await FindNewerMasterAsync(peer) is { } newerMaster)
        {
            // Fencing: the partner took over while this broker was away; rejoin it as its slave.
            HostLog.RejoiningAsSlave(_logger, Name, newerMaster);
            Publish(BrokerEventKind.Demoted, $"the partner at {newerMaster} is master at a later epoch; rejoining as its slave");
            replication = replication.AsSlaveOf(newerMaster);
            Role = BrokerRole.Slave;
        }
        if (Role == BrokerRole.Slave)
        {
            StartStandby(replication);
            return;
        }
        Broker.Recover(CreateMasterStore(), _journal.Replay());
        await BecomeMasterAsync();
    }

    /// <summary>An operator's stop: a master closes its connectors and stops dispatching; a slave stops following.</summary>
    public async Task StopByOperatorAsync()
    {
        StoppedByOperator = true;
        if (Role == BrokerRole.Slave && _follow is { } follow)
        {
            await follow.CancelAsync();
            await _following!.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        await StopAsync();
        Publish(BrokerEventKind.BrokerStopped, "stopped by an operator");
    }

    /// <summary>An operator's start after a stop: a master serves again, a slave follows its master again.</summary>
    public async Task StartByOperatorAsync()
    {
        StoppedByOperator = false;
        if (Role == BrokerRole.Slave)
        {
            if (_following is null || _following.IsCompleted)
            {
                Follow();
            }
            return;
        }
        if (Broker.State != BrokerState.Started)
        {
            await BecomeMasterAsync();
        }
    }

    /// <summary>An operator's promotion of a slave: it stops following and takes over with a new epoch.</summary>
    public async Task PromoteByOperatorAsync()
    {
        if (Role != BrokerRole.Slave || _slave is null)
        {
            throw new InvalidOperationException($"broker {Name} is already a master");
        }
        // From here the link's own end ("the master closed the link") must not promote a second time.
        _promotingByOperator = true;
        if (_slave.State is SlaveState.Syncing or SlaveState.InSync)
        {
            // The master lives: fence it first, so that it stops serving and rejoins this broker as slave.
            await _slave.AnnouncePromotionAsync(_journal!.Epoch + 1, ClientPort, _stopping.Token)
                .ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        if (_follow is { } follow)
        {
            await follow.CancelAsync();
            await _following!.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        StoppedByOperator = false;
        await PromoteAsync("promoted by an operator");
    }

    /// <summary>Folds the journal into a standby state and follows the master <paramref name="replication"/> names.</summary>
    private void StartStandby(ReplicationOptions replication, bool failBack = true)
    {
        var standby = new RecoveryState(Definition.Options.MemoryLimit);
        foreach (var (sequence, record) in _journal!.Replay())
        {
            standby.Apply(sequence, record);
        }
        _slave = new SlaveLink(Name, Definition.Options.DataDirectory, _journal, standby, replication,
            replication.MasterConnector?.UserName ?? Definition.ReplicationUser, replication.MasterConnector?.Password ?? Definition.ReplicationPassword,
            Publish, TakeOverAsync, _loggerFactory.CreateLogger<SlaveLink>());
        if (failBack && !Definition.Replication.IsSlave && Definition.Replication.AllowFailback)
        {
            // A configured master that rejoined after a failure takes its role back once it holds everything
            // (not after a planned switchover: that was the operator's choice).
            var slave = _slave;
            slave.InSync += () => _ = Task.Run(async () =>
            {
                try
                {
                    await slave.RequestSwitchoverAsync(_stopping.Token);
                }
                catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException or OperationCanceledException)
                {
                    HostLog.SwitchoverFailed(_logger, Name, $"failback not requested: {e.Message}");
                }
            });
        }
        Follow();
    }

    private void Follow()
    {
        _follow = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        _following = FollowMasterAsync(_follow.Token);
    }

    public async Task StopAsync()
    {
        ConnectorsOpen = false;
        foreach (var connector in Connectors)
        {
            await connector.StopAsync();
        }
        await Broker.StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        if (_following is not null)
        {
            await _following.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        await StopAsync();
        if (_master is not null)
        {
            await _master.DisposeAsync();
        }
        if (_journal is not null)
        {
            await _journal.DisposeAsync();
            _journal = null;
        }
    }

    private ReplicatedStore CreateMasterStore()
    {
        _master = new ReplicationMaster(Name, _journal!, Definition.Replication, Authenticator, Publish, _loggerFactory.CreateLogger<ReplicationMaster>());
        _master.StateChanged += state =>
        {
            if (state == LinkState.InSync)
            {
                Broker.ClientRefusal = null;
            }
        };
        _master.ShutdownRequested += () => _ = StopAsync();
        _master.SwitchoverRequested += () => _ = Task.Run(async () =>
        {
            try
            {
                await HandOverAsync("asked by the slave");
            }
            catch (InvalidOperationException e)
            {
                HostLog.SwitchoverFailed(_logger, Name, e.Message);
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
                HostLog.SwitchoverFailed(_logger, Name, $"fenced, but could not rejoin {partner}: {e.Message}");
            }
        });
        return new ReplicatedStore(_journal!, _master, Definition.Replication);
    }

    private async Task BecomeMasterAsync()
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
        try
        {
            foreach (var connector in Connectors)
            {
                connector.Start();
            }
        }
        catch (ConnectorBindException)
        {
            // It names the broker, the URI and the port; the connectors already open are closed again.
            await StopAsync();
            throw;
        }
        ConnectorsOpen = true;
        HostLog.BrokerStarted(_logger, Name);
        if (Definition.Replication.Peer is { } peer)
        {
            _watchingPeer?.Cancel();
            _watchingPeer = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            _ = WatchPeerAsync(peer, _watchingPeer.Token);
        }
        if (waitForSlave)
        {
            _ = WaitForSlaveAsync();
        }
    }

    private async Task WaitForSlaveAsync()
    {
        var master = _master!;
        var timeout = Definition.Replication.WaitForSlaveTimeout;
        var inSync = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnStateChanged(LinkState state)
        {
            if (state == LinkState.InSync)
            {
                inSync.TrySetResult();
            }
        }
        master.StateChanged += OnStateChanged;
        try
        {
            if (!master.IsInSync)
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
            master.StateChanged -= OnStateChanged;
        }
        var reason = $"broker {Name}: no slave attached and in sync within WaitForSlaveTimeout ({timeout.TotalSeconds:0} s)";
        HostLog.StartupFailed(_logger, reason);
        await StopAsync();
        Fatal?.Invoke(reason);
    }

    private async Task FollowMasterAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (await _slave!.RunAsync(Definition.Options.MemoryLimit, cancellationToken) == LinkEnd.HandedOver || _promotingByOperator)
            {
                return;
            }
        }
        catch (OperationCanceledException)
        {
            return;
        }
        catch (Exception e)
        {
            // Never a silent standby that stopped following: say it, and stay a slave for the operator to act.
            HostLog.FollowingFailed(_logger, e, Name);
            Publish(BrokerEventKind.BrokerStopped, $"stopped following its master: {e.Message}");
            return;
        }
        if (Definition.Replication.ShutdownOnMasterFailure)
        {
            StoppedByOperator = true;
            HostLog.ShutdownOnMasterFailure(_logger, Name);
            Publish(BrokerEventKind.BrokerStopped, "master failed and ShutdownOnMasterFailure is set");
            return;
        }
        // The link already published MasterFailed with its reason; the log keeps ActiveMQ's wording.
        HostLog.MasterFailed(_logger, Name);
        await PromoteAsync("the master failed");
    }

    /// <summary>The slave takes over: a new epoch, the state it already holds, its connectors opened.</summary>
    private async Task PromoteAsync(string why)
    {
        if (Role == BrokerRole.Master)
        {
            return;
        }
        var epoch = _journal!.BeginEpoch();
        Broker.Recover(CreateMasterStore(), _slave!.Standby);
        Role = BrokerRole.Master;
        await BecomeMasterAsync();
        _promotion.TrySetResult();
        Publish(BrokerEventKind.Promoted, $"{why}: promoted to master at epoch {epoch}, sequence {_journal.LastSequence}");
    }

    private void Publish(BrokerEventKind kind, string detail) => Broker.Publish(kind, detail);

    private static X509Certificate2? LoadCertificate(TlsOptions? tls)
    {
        if (tls is null || string.IsNullOrEmpty(tls.CertificatePath))
        {
            return null;
        }
        return tls.KeyPath is { Length: > 0 } keyPath
            ? X509Certificate2.CreateFromPemFile(tls.CertificatePath, keyPath)
            : X509CertificateLoader.LoadPkcs12FromFile(tls.CertificatePath, tls.CertificatePassword);
    }
}
