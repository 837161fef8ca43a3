using System.Text;
using System.Text.Json;
using Broker.Core;
using Broker.Core.Connections;
using Broker.Core.Events;
using Broker.Core.Messages;
using Broker.Core.Security;
using Broker.Server;
using Broker.Storage;

namespace Broker.Replication.Tests;

/// <summary>
/// Shared file system master/slave in one process: two lifecycles on one data directory, real flock locks and a real
/// journal. The holder serves; the other waits naming it, and takes over with everything the holder stored.
/// </summary>
public sealed class SharedStoreTests : IAsyncDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "shared-store-tests", Guid.NewGuid().ToString("N"));
    private readonly List<BrokerLifecycle> _brokers = [];
    private readonly EventLog _events = new();

    [Fact]
    public async Task FirstTakesTheLock_SecondWaitsNamingIt_ThenTakesOverWithEveryMessage()
    {
        var first = Create("a1");
        var second = Create("a2");
        await first.StartAsync();
        await LifecyclePair.WaitForAsync(first, LifecycleState.MasterHoldingLock);
        await second.StartAsync();
        await LifecyclePair.WaitUntilAsync("a2 names the holder", () => second.Status.Reason.Contains("held by a1"));
        Assert.Equal(LifecycleState.WaitingForLock, second.Status.State);
        Assert.False(LifecyclePair.EndpointsOf(second).IsOpen);
        for (var i = 0; i < 20; i++)
        {
            await first.Broker.Send(Persistent(first, $"m{i}"));
        }

        await first.DisposeAsync();

        await LifecyclePair.WaitForAsync(second, LifecycleState.MasterHoldingLock);
        Assert.True(LifecyclePair.EndpointsOf(second).IsOpen);
        Assert.Equal(20, second.Broker.GetDestination(DestinationName.Queue("q"))!.Pending);
        Assert.Equal(LifecycleRole.Master, second.Status.Role);
    }

    [Fact]
    public async Task OperatorStop_HandsTheLockToTheWaitingBroker_StartWaitsAgain()
    {
        var first = Create("a1");
        var second = Create("a2");
        await first.StartAsync();
        await LifecyclePair.WaitForAsync(first, LifecycleState.MasterHoldingLock);
        await second.StartAsync();
        await LifecyclePair.WaitForAsync(second, LifecycleState.WaitingForLock);

        await first.StopByOperatorAsync();
        await LifecyclePair.WaitForAsync(second, LifecycleState.MasterHoldingLock);
        await first.StartByOperatorAsync();

        await LifecyclePair.WaitUntilAsync("a1 names the new holder", () => first.Status.Reason.Contains("held by a2"));
        Assert.Equal(LifecycleState.WaitingForLock, first.Status.State);
        var promote = await Assert.ThrowsAsync<InvalidOperationException>(first.PromoteByOperatorAsync);
        Assert.Contains("taking the store's lock", promote.Message);
    }

    [Fact]
    public async Task LeaseTakenByAnother_TheHolderStopsServingWithinAKeepAlive()
    {
        var holder = Create("a1");
        await holder.StartAsync();
        await LifecyclePair.WaitForAsync(holder, LifecycleState.MasterHoldingLock);

        var walked = Walk(holder);

        // Another holder's lease written over it (a second broker on a volume that lost the lock, an operator's copy).
        var stolen = new StoreLease("someone-else", "intruder", "elsewhere", 1, DateTimeOffset.UtcNow);
        File.WriteAllText(Path.Combine(_directory, SharedStoreLock.LeaseFile), JsonSerializer.Serialize(stolen));

        // It stops serving, then takes the lock again: nobody holds it.
        await LifecyclePair.WaitUntilAsync("a1 noticed", () => Walked(walked, "waiting for lock: lock lost", "names intruder on elsewhere"));
    }

    [Fact]
    public async Task LockFileReplaced_TheHolderStopsServing()
    {
        var holder = Create("a1");
        await holder.StartAsync();
        await LifecyclePair.WaitForAsync(holder, LifecycleState.MasterHoldingLock);
        var walked = Walk(holder);

        var path = Path.Combine(_directory, SharedStoreLock.LockFile);
        File.Delete(path);
        File.WriteAllText(path, "");

        await LifecyclePair.WaitUntilAsync("a1 noticed", () => Walked(walked, "waiting for lock: lock lost", "was replaced"));
    }

    /// <summary>Each state <paramref name="broker"/> moves to from now on, as "name: reason".</summary>
    private static List<string> Walk(BrokerLifecycle broker)
    {
        var walked = new List<string>();
        broker.StatusChanged += status =>
        {
            lock (walked)
            {
                walked.Add($"{status.Name}: {status.Reason}");
            }
        };
        return walked;
    }

    private static bool Walked(List<string> walked, string start, string part)
    {
        lock (walked)
        {
            return walked.Any(w => w.StartsWith(start, StringComparison.Ordinal) && w.Contains(part, StringComparison.Ordinal));
        }
    }

    private BrokerLifecycle Create(string name)
    {
        var port = LifecyclePair.FreePort();
        var options = new BrokerOptions { DataDirectory = _directory, JournalSegmentSize = 1024 * 1024 };
        var connector = ConnectorUri.TryParse($"tcp://127.0.0.1:{port}", out var uri, out _) ? uri : throw new InvalidOperationException();
        var ha = new HaSettings
        {
            HaMode = HaMode.SharedFileSystem,
            LockAcquireSleepInterval = TimeSpan.FromMilliseconds(50),
            LockKeepAlivePeriod = TimeSpan.FromMilliseconds(100),
        };
        var definition = new BrokerDefinition(name, options, [connector], null, new ReplicationOptions(), Ha: ha);
        var broker = new BrokerLifecycle(definition, _events, new NoUsers(), (_, handoff) => new LoopbackEndpoints(port, handoff),
            TestLogging.For($"{name}-{Guid.NewGuid():N}"));
        _brokers.Add(broker);
        return broker;
    }

    private static Message Persistent(BrokerLifecycle broker, string text) => new()
    {
        MessageId = broker.Broker.NextMessageId(),
        Destination = DestinationName.Queue("q"),
        Body = Encoding.UTF8.GetBytes(text),
        Persistent = true,
    };

    public async ValueTask DisposeAsync()
    {
        foreach (var broker in _brokers)
        {
            await broker.DisposeAsync();
        }
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Cleaned up with the temporary folder.
        }
    }

    private sealed class NoUsers : IBrokerAuthenticator
    {
        public LoginResult Authenticate(string? login, string? password, string remoteAddress) => LoginResult.Failed;
    }
}
