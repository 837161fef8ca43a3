using Broker.Core.Connections;
using Broker.Core.Events;
using Broker.Core.Security;
using Broker.Server;
using Broker.Stomp.Sessions;

namespace BrokerConsole.Hosting;

/// <summary>
/// The brokers this process hosts; starts them once the HTTP server listens (<see cref="StartedAsync"/>: a busy
/// HTTP port stops start-up before any broker served a client) and stops them with the host. When both halves of
/// a pair live here, the one with the newer history (a later epoch) starts as master whatever the configuration
/// says: a failover before a restart is never undone. On the way down slaves stop first, so a host's shutdown is
/// never a failover.
/// </summary>
public sealed class BrokerRegistry : IHostedLifecycleService
{
    private readonly IReadOnlyList<HostedBroker> _brokers;
    private int _stopped;

    public BrokerRegistry(IReadOnlyList<BrokerDefinition> definitions, EventLog events, IBrokerAuthenticator authenticator,
        StompServerOptions stompOptions, ILoggerFactory loggerFactory, IHostApplicationLifetime lifetime)
    {
        Events = events;
        _brokers = [.. definitions.Select(d => new HostedBroker(d, events, authenticator, stompOptions, loggerFactory))];
        foreach (var broker in _brokers)
        {
            // A broker that cannot go on (no slave within WaitForSlaveTimeout) ends the process with an error.
            broker.Lifecycle.Fatal += _ =>
            {
                Environment.ExitCode = 3;
                lifetime.StopApplication();
            };
        }
    }

    public IReadOnlyList<HostedBroker> All => _brokers;

    public EventLog Events { get; }

    public HostedBroker? Find(string name) => _brokers.FirstOrDefault(b => b.Name == name);

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>After every hosted service started, the web server included (it is registered last).</summary>
    public async Task StartedAsync(CancellationToken cancellationToken)
    {
        try
        {
            foreach (var broker in _brokers)
            {
                broker.Lifecycle.Open();
            }
            var swapped = SwappedPairs();
            // Masters first: their slaves find them serving.
            foreach (var broker in _brokers.OrderBy(b => StartsAsSlave(b, swapped)))
            {
                await broker.Lifecycle.StartAsync(swapped.GetValueOrDefault(broker));
            }
        }
        catch
        {
            // The host does not stop what started when start-up fails: close the brokers already serving ourselves.
            await StopBrokersAsync();
            throw;
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => StopBrokersAsync();

    /// <summary>Once: after a failed start, the host's stop (a test disposing its host) finds nothing left to do.</summary>
    private async Task StopBrokersAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }
        foreach (var broker in _brokers.OrderBy(b => b.Status.Role == LifecycleRole.Master))
        {
            await broker.DisposeAsync();
        }
    }

    private static bool StartsAsSlave(HostedBroker broker, Dictionary<HostedBroker, StartRole> swapped) =>
        swapped.TryGetValue(broker, out var role) ? role.SlaveOf is not null : broker.Definition.Replication.IsSlave;

    /// <summary>
    /// Pairs with both halves here (a slave whose master URI is a local broker's connector) where the configured
    /// slave holds the newer history (a later epoch): it starts as master, and the configured master as its slave.
    /// </summary>
    private Dictionary<HostedBroker, StartRole> SwappedPairs()
    {
        var swapped = new Dictionary<HostedBroker, StartRole>();
        foreach (var slave in _brokers.Where(b => b.Definition.Replication.IsSlave))
        {
            if (!ConnectorUri.TryParse(slave.Definition.Replication.MasterUri, out var masterUri, out _))
            {
                continue;
            }
            var master = _brokers.FirstOrDefault(b => b != slave && b.Definition.Connectors.Any(c => c.Port == masterUri.Port && c.Port != 0));
            var slaveConnector = slave.Definition.Connectors.FirstOrDefault(c => c.Port != 0);
            if (master is null || slaveConnector is null
                || (slave.Lifecycle.Epoch, slave.Lifecycle.LastSequence).CompareTo((master.Lifecycle.Epoch, master.Lifecycle.LastSequence)) <= 0
                || slave.Lifecycle.Epoch <= master.Lifecycle.Epoch)
            {
                continue;
            }
            var host = slaveConnector.IsLoopback ? "127.0.0.1" : slaveConnector.Host;
            var why = $"{slave.Name} is at epoch {slave.Lifecycle.Epoch}, {master.Name} at {master.Lifecycle.Epoch}: the failover before the restart stands";
            swapped[slave] = new StartRole(AsMaster: true, SlaveOf: null, why);
            swapped[master] = new StartRole(AsMaster: false, SlaveOf: $"{(slaveConnector.Tls ? "ssl" : "tcp")}://{host}:{slaveConnector.Port}", why);
        }
        return swapped;
    }

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
