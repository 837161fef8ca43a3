using Broker.Server;

namespace BrokerConsole.Tests.Replication;

/// <summary>A SEND the broker refused is not remembered by the duplicate filter: the producer's retry is stored.</summary>
public sealed class RefusedSendTests
{
    private static readonly TimeSpan SyncTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task RefusedWhileUnprotected_RetryWithTheSameProducerSequence_IsStoredOnceProtected()
    {
        await using var host = await TestHost.StartPairInOneHostAsync("b1", "b2", "--Brokers:b1:WhenUnprotected=RefusePersistent");
        var master = host.Registry.Find("b1")!;
        var slave = host.Registry.Find("b2")!;
        await Retry.UntilAsync("b1 is protected", () => master.Status.State == LifecycleState.MasterProtected, SyncTimeout);
        await slave.StopByOperatorAsync();
        await Retry.UntilAsync("b1 is unprotected", () => master.Status.State == LifecycleState.MasterUnprotected, SyncTimeout);
        (string, string)[] numbered = [("producer-id", "P1"), ("producer-seq", "7")];

        await using (var client = await DurabilityStomp.ConnectAsync(host.StompPort("b1")))
        {
            await DurabilityStomp.SendPersistentAsync(client, "/queue/refused", "kept", "r1", numbered);
            var refusal = await client.ReceiveAsync();
            Assert.Equal("ERROR", refusal.Command);
        }
        await slave.StartByOperatorAsync();
        await Retry.UntilAsync("b1 is protected again", () => master.Status.State == LifecycleState.MasterProtected, SyncTimeout);
        await using (var client = await DurabilityStomp.ConnectAsync(host.StompPort("b1")))
        {
            await DurabilityStomp.SendPersistentAsync(client, "/queue/refused", "kept", "r2", numbered);
            var receipt = await client.ReceiveAsync();
            Assert.Equal("RECEIPT", receipt.Command);
        }

        Assert.Equal(["kept"], await DurabilityStomp.DrainBodiesAsync(host.StompPort("b1"), "/queue/refused", TimeSpan.FromMilliseconds(500)));
    }
}
