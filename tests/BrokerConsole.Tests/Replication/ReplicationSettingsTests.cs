using System.Diagnostics;
using System.Net.Sockets;
using BrokerConsole.Tests.Infrastructure;
using Xunit.Abstractions;

namespace BrokerConsole.Tests.Replication;

/// <summary>The replication login, both forms of the master connector, and the WaitForSlave / ShutdownOn* settings.</summary>
[Collection("Processes")]
public sealed class ReplicationSettingsTests(ITestOutputHelper output)
{
    private static readonly TimeSpan LogTimeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task ReplicationLogin_WrongPasswordOrRoleRefused_BothConnectorFormsAttach_BothAtOnceIsAConfigurationError()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(150));
        await using var master = await BrokerProcess.StartAsync(
            Replicas.Master("--Security:Users:bob:Password=bob", "--Security:Users:bob:Roles:0=producer"), timeout.Token);
        var masterUri = $"tcp://127.0.0.1:{master.Port}";

        // Refused: a wrong password, and a user without the replication role (both at once: neither attaches).
        await using (var wrong = await BrokerProcess.StartAsync(Replicas.SlaveOf(master.Port, "--Replication:Password=wrong"), timeout.Token))
        await using (var noRole = await BrokerProcess.StartAsync(
            Replicas.SlaveOf(master.Port, "--Replication:UserName=bob", "--Replication:Password=bob"), timeout.Token))
        {
            await wrong.WaitForOutputAsync($"Slave connection between b1 and {masterUri} refused: replication login failed for user 'replicator'", LogTimeout, 0, timeout.Token);
            await noRole.WaitForOutputAsync($"Slave connection between b1 and {masterUri} refused: user 'bob' does not hold the replication role", LogTimeout, 0, timeout.Token);
            await master.WaitForOutputAsync("replication login refused", LogTimeout, 0, timeout.Token);
            Assert.Contains("replication login failed for user 'replicator': unknown user or wrong password", master.Output, StringComparison.Ordinal);
            Assert.Contains("user 'bob' does not hold the replication role", master.Output, StringComparison.Ordinal);
            foreach (var refused in new[] { wrong, noRole })
            {
                var view = await refused.GetViewAsync(timeout.Token);
                Assert.Equal("slave", Replicas.Role(view));
                Assert.Equal("waiting for master", Replicas.State(view));
                Assert.False(refused.Logged("in sync with master"), refused.Describe());
            }
            Assert.Equal("master unprotected", Replicas.State(await master.GetViewAsync(timeout.Token)));
            Assert.False(master.Logged("is in sync at sequence"), master.Describe());
        }

        // MasterConnector { RemoteUri, UserName, Password }, without Replication:*.
        await using (var structured = await BrokerProcess.StartAsync(new BrokerProcessOptions
        {
            Slave = true,
            Settings =
            [
                .. Replicas.ReplicationUser,
                $"--Brokers:b1:MasterConnector:RemoteUri={masterUri}",
                "--Brokers:b1:MasterConnector:UserName=replicator",
                "--Brokers:b1:MasterConnector:Password=replicator",
            ],
        }, timeout.Token))
        {
            await Replicas.WaitInSyncAsync(master, structured, timeout.Token);
            structured.Kill();
            await master.WaitForViewAsync(v => Replicas.State(v) == "master unprotected", TimeSpan.FromSeconds(10), "master unprotected", timeout.Token);
        }

        // MasterConnectorUri with Replication:UserName/Password.
        await using (var uriForm = await BrokerProcess.StartAsync(Replicas.SlaveOf(master.Port), timeout.Token))
        {
            await Replicas.WaitInSyncAsync(master, uriForm, timeout.Token);
        }

        // Both forms at once: start-up fails naming the keys.
        await using var both = BrokerProcess.Create(Replicas.SlaveOf(master.Port, $"--Brokers:b1:MasterConnector:RemoteUri={masterUri}"));
        Assert.False(await both.TryStartAsync(timeout.Token), both.Describe());
        Assert.NotEqual(0, both.ExitCode);
        Assert.Contains("Brokers:b1: MasterConnectorUri and MasterConnector are both set", both.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WaitForSlave_ClientsRefusedUntilTheSlaveIsInSync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await using var master = await BrokerProcess.StartAsync(Replicas.Master("--Brokers:b1:WaitForSlave=true"), timeout.Token);
        await using (var client = await StompTestClient.ConnectTcpAsync(master.Port))
        {
            var refused = await client.ConnectAsync("admin");
            Assert.Equal("ERROR", refused.Command);
            Assert.Contains("waiting for slave", refused["message"] + DurabilityStomp.Body(refused), StringComparison.Ordinal);
        }
        Assert.Equal("waiting for slave", Replicas.State(await master.GetViewAsync(timeout.Token)));

        await using var slave = await BrokerProcess.StartAsync(Replicas.SlaveOf(master.Port), timeout.Token);
        await Replicas.WaitInSyncAsync(master, slave, timeout.Token);
        await master.WaitForStompAsync(TimeSpan.FromSeconds(10), timeout.Token);
    }

    [Fact]
    public async Task WaitForSlaveTimeout_WithoutASlave_TheBrokerGivesUpAndTheProcessExits()
    {
        var (code, master) = await RunWithoutSlaveAsync();
        await using var _ = master;
        Assert.Contains("Start-up failed: broker b1: no slave attached and in sync within WaitForSlaveTimeout (2 s)", master.Output, StringComparison.Ordinal);
        output.WriteLine($"exit code {code}");
    }

    [Fact]
    public async Task WaitForSlaveTimeout_WithoutASlave_TheProcessExitsWithANonZeroCode()
    {
        var (code, master) = await RunWithoutSlaveAsync();
        await using var _ = master;
        Assert.NotEqual(0, code);
    }

    /// <summary>A master with WaitForSlave and a 2 s timeout, no slave: returns its exit code (within a few seconds of being ready).</summary>
    private async Task<(int Code, BrokerProcess Master)> RunWithoutSlaveAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var master = BrokerProcess.Create(Replicas.Master("--Brokers:b1:WaitForSlave=true", "--Brokers:b1:WaitForSlaveTimeout=00:00:02"));
        try
        {
            var clock = Stopwatch.StartNew();
            await master.TryStartAsync(timeout.Token);
            var ready = clock.Elapsed;
            using var exitDeadline = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
            exitDeadline.CancelAfter(TimeSpan.FromSeconds(15));
            var code = await master.WaitForExitAsync(exitDeadline.Token);
            output.WriteLine($"ready after {ready.TotalMilliseconds:0} ms, exited with {code} after {clock.ElapsedMilliseconds} ms");
            Assert.True(clock.Elapsed - ready < TimeSpan.FromSeconds(8), $"exited {clock.Elapsed - ready} after it was ready{Environment.NewLine}{master.Describe()}");
            return (code, master);
        }
        catch
        {
            await master.DisposeAsync();
            throw;
        }
    }

    [Fact]
    public async Task ShutdownOnMasterFailure_TheSlaveDoesNotTakeOver()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await using var master = await BrokerProcess.StartAsync(Replicas.Master(), timeout.Token);
        await using var slave = await BrokerProcess.StartAsync(Replicas.SlaveOf(master.Port, "--Brokers:b1:ShutdownOnMasterFailure=true"), timeout.Token);
        await Replicas.WaitInSyncAsync(master, slave, timeout.Token);

        var mark = slave.OutputLength;
        master.Kill();
        await slave.WaitForOutputAsync("ShutdownOnMasterFailure is set", Replicas.FailoverTimeout, mark, timeout.Token);
        Assert.False(slave.Logged("Master failed - starting all connectors", mark), slave.Describe());
        Assert.False(slave.Logged("Listening for connections at", mark), slave.Describe());
        Assert.Equal(0, slave.Port);
        if (!slave.HasExited)
        {
            var view = await slave.GetViewAsync(timeout.Token);
            output.WriteLine($"after the master's failure the slave process is still up: {view}");
            Assert.Equal("slave", Replicas.Role(view));
            Assert.All(view.GetProperty("connectors").EnumerateArray(), c => Assert.False(c.GetProperty("open").GetBoolean()));
        }
    }

    [Fact]
    public async Task ShutdownOnSlaveFailure_TheMasterClosesItsConnector()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await using var master = await BrokerProcess.StartAsync(Replicas.Master("--Brokers:b1:ShutdownOnSlaveFailure=true"), timeout.Token);
        await using var slave = await BrokerProcess.StartAsync(Replicas.SlaveOf(master.Port), timeout.Token);
        await Replicas.WaitInSyncAsync(master, slave, timeout.Token);
        await (await DurabilityStomp.ConnectAsync(master.Port)).DisposeAsync();

        slave.Kill();
        var clock = Stopwatch.StartNew();
        string? lastReply = null;
        while (true)
        {
            try
            {
                await using var client = await StompTestClient.ConnectTcpAsync(master.Port);
                var reply = await client.ConnectAsync("admin");
                lastReply = DurabilityStomp.Describe(reply);
            }
            catch (SocketException)
            {
                break;
            }
            catch (Exception e) when (e is IOException or EndOfStreamException)
            {
                lastReply = e.Message;
            }
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"CONNECT still answered ({lastReply}) {clock.Elapsed} after the slave died{Environment.NewLine}{master.Describe()}");
            await Task.Delay(50, timeout.Token);
        }
        output.WriteLine($"the master's connector refused connections {clock.ElapsedMilliseconds} ms after the slave's SIGKILL");
        Assert.True(master.Logged("detached"), master.Describe());
    }
}
