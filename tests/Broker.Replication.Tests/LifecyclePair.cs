using System.Net;
using System.Net.Sockets;
using Broker.Core;
using Broker.Core.Connections;
using Broker.Core.Events;
using Broker.Core.Security;
using Broker.Server;
using Microsoft.Extensions.Logging.Abstractions;

namespace Broker.Replication.Tests;

/// <summary>A master and its slave as two lifecycles in this process, each with a journal in a temporary folder and a real loopback port.</summary>
internal sealed class LifecyclePair : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private readonly Microsoft.Extensions.Logging.ILoggerFactory _loggers;

    private readonly string _root = Path.Combine(Path.GetTempPath(), "lifecycle-tests", Guid.NewGuid().ToString("N"));

    private readonly string? _witness;

    /// <param name="witness">A PostgreSQL connection string: the pair's witness (short leases, for quick tests).</param>
    public LifecyclePair(Action<ReplicationOptions>? configure = null, string? witness = null, [System.Runtime.CompilerServices.CallerMemberName] string test = "")
    {
        _witness = witness;
        _loggers = TestLogging.For($"{test}-{Guid.NewGuid():N}");
        var masterPort = FreePort();
        var slavePort = FreePort();
        Master = Create("m1", masterPort, new ReplicationOptions { Peer = null }, configure);
        Slave = Create("s1", slavePort, new ReplicationOptions { MasterConnectorUri = $"tcp://127.0.0.1:{masterPort}" }, configure);
    }

    public BrokerLifecycle Master { get; }

    public BrokerLifecycle Slave { get; }

    public EventLog Events { get; } = new();

    /// <summary>The pair's events, a line each (for a failure's message).</summary>
    public string EventsText() => string.Join("\n", Events.Since(null).Select(e => $"{e.Time:HH:mm:ss.fff} {e.Broker} {e.Kind} {e.Detail}"));

    /// <summary>Every state each broker passed through, in order.</summary>
    public Dictionary<string, List<LifecycleState>> Walks { get; } = [];

    /// <summary>A copy of the states <paramref name="broker"/> walked so far.</summary>
    public IReadOnlyList<LifecycleState> Walk(string broker)
    {
        var walk = Walks[broker];
        lock (walk)
        {
            return [.. walk];
        }
    }

    public static LoopbackEndpoints EndpointsOf(BrokerLifecycle broker) => (LoopbackEndpoints)broker.Endpoints;

    public async Task StartAsync()
    {
        await Master.StartAsync();
        await Slave.StartAsync();
        await WaitForAsync(Master, LifecycleState.MasterProtected);
        await WaitForAsync(Slave, LifecycleState.InSync);
    }

    public static async Task WaitForAsync(BrokerLifecycle broker, LifecycleState state)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (broker.Status.State != state)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{broker.Name} is {broker.Status.Name} ({broker.Status.Reason}), not {LifecycleTransitions.Name(state)}");
            }
            await Task.Delay(5);
        }
    }

    public static async Task WaitUntilAsync(string what, Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out waiting until {what}");
            }
            await Task.Delay(5);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Slave.DisposeAsync();
        await Master.DisposeAsync();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // Cleaned up with the temporary folder.
        }
    }

    private BrokerLifecycle Create(string name, int port, ReplicationOptions replication, Action<ReplicationOptions>? configure)
    {
        // These tests walk states, not timeouts: a loaded machine (the other test projects run beside them) must not
        // detach a slow slave or lose a heart-beat in the middle of a walk. A test about timing sets its own.
        replication.MasterTimeout = TimeSpan.FromSeconds(2);
        replication.ReplicationAckTimeout = TimeSpan.FromSeconds(5);
        configure?.Invoke(replication);
        var options = new BrokerOptions { DataDirectory = Path.Combine(_root, name), JournalSegmentSize = 1024 * 1024 };
        var connector = ConnectorUri.TryParse($"tcp://127.0.0.1:{port}", out var uri, out _) ? uri : throw new InvalidOperationException();
        var ha = _witness is null ? null : new HaSettings
        {
            Witness = "witness",
            LeaseDuration = TimeSpan.FromSeconds(2),
            LeaseRenewal = TimeSpan.FromMilliseconds(400),
            LockAcquireSleepInterval = TimeSpan.FromMilliseconds(200),
        };
        var definition = new BrokerDefinition(name, options, [connector], null, replication, "replicator", "replicator", ha, WitnessConnectionString: _witness);
        var broker = new BrokerLifecycle(definition, Events, new Users(), (_, handoff) => new LoopbackEndpoints(port, handoff), _loggers);
        var walk = Walks[name] = [broker.Status.State];
        broker.StatusChanged += status =>
        {
            lock (walk)
            {
                walk.Add(status.State);
            }
        };
        return broker;
    }

    public static int FreePort() => Broker.Testing.FreePorts.Next();

    private sealed class Users : IBrokerAuthenticator
    {
        public LoginResult Authenticate(string? login, string? password, string remoteAddress) => (login, password) switch
        {
            ("replicator", "replicator") => LoginResult.Success(new BrokerUser("replicator", new HashSet<string> { Roles.Replication }, Roles.DefaultGrants)),
            _ => LoginResult.Failed,
        };
    }
}
