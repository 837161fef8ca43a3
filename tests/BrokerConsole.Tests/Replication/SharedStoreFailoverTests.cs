using BrokerConsole.Tests.Infrastructure;
using Xunit.Abstractions;

namespace BrokerConsole.Tests.Replication;

/// <summary>
/// Shared file system master/slave as two processes on one data directory: the first holds the lock and serves, the
/// second waits; SIGKILL the first during traffic and the second takes over by recovering the shared journal, with
/// every message the first receipted.
/// </summary>
[Collection("Processes")]
public sealed class SharedStoreFailoverTests(ITestOutputHelper output) : IDisposable
{
    private static readonly string[] SharedFileSystem = ["--Brokers:b1:HaMode=SharedFileSystem"];

    private readonly string _shared = Directory.CreateTempSubdirectory("shared-store-").FullName;

    [Fact]
    public async Task MasterKilledDuringTraffic_TheWaitingBrokerTakesOverWithEveryReceiptedMessage()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await using var master = await BrokerProcess.StartAsync(new BrokerProcessOptions { Settings = SharedFileSystem, DataDirectory = _shared }, timeout.Token);
        await using var standby = await BrokerProcess.StartAsync(
            new BrokerProcessOptions { Settings = SharedFileSystem, DataDirectory = _shared, Slave = true }, timeout.Token);
        var waiting = await standby.WaitForViewAsync(v => Replicas.State(v) == "waiting for lock" && v.GetProperty("stateReason").GetString()!.Contains("held by b1"),
            Replicas.SyncTimeout, "the standby waits for the lock, naming its holder", timeout.Token);
        Assert.Equal("slave", Replicas.Role(waiting));
        Assert.Equal("master holding lock", Replicas.State(await master.GetViewAsync(timeout.Token)));

        var killed = await Replicas.KillUnderTrafficAsync(master, standby, "/queue/shared-failover", timeout.Token);

        output.WriteLine(killed.Summary);
        Assert.True(killed.Problems.Count == 0, $"{string.Join("; ", killed.Problems)}{Environment.NewLine}{Replicas.Describe(standby, master)}");
        Assert.Equal("master holding lock", Replicas.State(await standby.GetViewAsync(timeout.Token)));
    }

    [Fact]
    public async Task LockFileReplaced_TheMasterStopsServingAtOnce_ThenTakesTheNewLock()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var master = await BrokerProcess.StartAsync(new BrokerProcessOptions { Settings = SharedFileSystem, DataDirectory = _shared }, timeout.Token);
        await master.WaitForViewAsync(v => Replicas.State(v) == "master holding lock", Replicas.SyncTimeout, "serving", timeout.Token);

        // An operator's hand, or a volume remounted: the file at master.lock is no longer the one the master locked.
        var lockFile = Path.Combine(_shared, "master.lock");
        File.Move(lockFile, lockFile + ".old");
        await File.WriteAllTextAsync(lockFile, "", timeout.Token);

        await Retry.UntilAsync("the master says it lost the lock", () => master.Output.Contains("lost the lock on the shared store", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        // Nobody else holds the new file: it takes that lock and serves again, recovering the same journal.
        await master.WaitForViewAsync(v => Replicas.State(v) == "master holding lock" && Replicas.Epoch(v) >= 0, Replicas.SyncTimeout, "serving again", timeout.Token);
    }

    [Fact]
    public async Task VolumeWithoutWorkingLocks_RefusesToStart_NamingTheCheck()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        // .NET stops taking flock locks with this switch: as on a volume that grants every lock.
        await using var broker = BrokerProcess.Create(new BrokerProcessOptions
        {
            Settings = SharedFileSystem,
            DataDirectory = _shared,
            Environment = new Dictionary<string, string> { ["DOTNET_SYSTEM_IO_DISABLEFILELOCKING"] = "1" },
        });

        Assert.False(await broker.TryStartAsync(timeout.Token), broker.Describe());
        Assert.NotEqual(0, broker.ExitCode);
        Assert.Contains("does not enforce file locks", broker.Output);
        Assert.DoesNotContain("Unhandled exception", broker.Output);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_shared, recursive: true);
        }
        catch (IOException)
        {
            // Cleaned up with the temporary folder.
        }
    }
}
