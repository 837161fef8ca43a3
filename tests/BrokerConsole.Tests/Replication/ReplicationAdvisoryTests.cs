using System.Text.Json;
using Broker.Server;

namespace BrokerConsole.Tests.Replication;

/// <summary>The pair's events reach STOMP clients of the master as advisories (ActiveMQ.Advisory.Replication).</summary>
public sealed class ReplicationAdvisoryTests
{
    private static readonly TimeSpan SyncTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task SlaveLeavingAndComingBack_AdvisedToTheMastersSubscribers()
    {
        await using var host = await TestHost.StartPairInOneHostAsync("b1", "b2");
        var master = host.Registry.Find("b1")!;
        var slave = host.Registry.Find("b2")!;
        await Retry.UntilAsync("b1 is protected", () => master.Status.State == LifecycleState.MasterProtected, SyncTimeout);
        await using var client = await DurabilityStomp.ConnectAsync(host.StompPort("b1"));
        await DurabilityStomp.SubscribeAsync(client, "/topic/ActiveMQ.Advisory.Replication", "adv", "auto");

        await slave.StopByOperatorAsync();
        var detached = await NextAdvisoryAsync(client, "SlaveDetached");
        await slave.StartByOperatorAsync();
        var attached = await NextAdvisoryAsync(client, "SlaveAttached");
        var inSync = await NextAdvisoryAsync(client, "SlaveInSync");

        foreach (var advisory in new[] { detached, attached, inSync })
        {
            Assert.Equal("b1", advisory.GetProperty("broker").GetString());
            Assert.Contains("b2", advisory.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
    }

    /// <summary>The body of the next advisory of <paramref name="type"/>, skipping others (resync events); each wait is bounded.</summary>
    private static async Task<JsonElement> NextAdvisoryAsync(StompTestClient client, string type)
    {
        var seen = new List<string?>();
        for (var i = 0; i < 20; i++)
        {
            var frame = await client.ReceiveAsync(SyncTimeout);
            Assert.True(frame.Command == "MESSAGE", DurabilityStomp.Describe(frame));
            Assert.Equal("application/json", frame["content-type"]);
            var body = JsonDocument.Parse(frame.Body).RootElement;
            Assert.Equal(frame["type"], body.GetProperty("type").GetString());
            if (frame["type"] == type)
            {
                return body;
            }
            seen.Add(frame["type"]);
        }
        Assert.Fail($"no {type} advisory; saw {string.Join(", ", seen)}");
        return default;
    }
}
