using Broker.Server;

namespace BrokerConsole.Tests.Replication;

/// <summary>Both halves of a pair in one host: a restart never undoes the failover that happened before it.</summary>
public sealed class PairRestartTests
{
    private static readonly TimeSpan SyncTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task HostRestart_AfterTheSlaveTookOver_TheNewerBrokerStaysMaster_NothingReceiptedLost()
    {
        var data = Directory.CreateTempSubdirectory("pair-restart-").FullName;
        try
        {
            var (masterPort, slavePort) = (TestHost.FreePort(), TestHost.FreePort());
            string[] settings =
            [
                .. TestHost.ReplicationSettings,
                $"--Brokers:b1:Connectors:0=tcp://127.0.0.1:{masterPort}", $"--Brokers:b1:DataDirectory={data}/b1",
                $"--Brokers:b2:Connectors:0=tcp://127.0.0.1:{slavePort}", $"--Brokers:b2:DataDirectory={data}/b2",
                $"--Brokers:b2:MasterConnectorUri=tcp://127.0.0.1:{masterPort}",
            ];
            List<string> sent;
            await using (var host = await TestHost.StartAsync(settings))
            {
                await Retry.UntilAsync("b1 is protected", () => host.Registry.Find("b1")!.Status.State == LifecycleState.MasterProtected, SyncTimeout);
                await host.Registry.Find("b1")!.StopByOperatorAsync();
                await Retry.UntilAsync("b2 serves", () => host.Registry.Find("b2")!.Status.State == LifecycleState.MasterUnprotected, SyncTimeout);
                sent = await Replicas.SendAsync(slavePort, "/queue/restart", "after-takeover", 100);
            }

            await using (var host = await TestHost.StartAsync(settings))
            {
                var b1 = host.Registry.Find("b1")!;
                var b2 = host.Registry.Find("b2")!;
                await Retry.UntilAsync("b2 is master again, protected by b1", () => b2.Status.State == LifecycleState.MasterProtected, SyncTimeout);
                Assert.Equal(LifecycleState.InSync, b1.Status.State);
                await host.WaitForLogAsync("the failover before the restart stands");
                Assert.Equal(sent, await DurabilityStomp.DrainBodiesAsync(slavePort, "/queue/restart", TimeSpan.FromMilliseconds(500)));
            }
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }
}
