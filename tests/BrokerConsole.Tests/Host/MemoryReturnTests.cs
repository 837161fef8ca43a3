using System.Net.Http.Json;
using BrokerConsole.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace BrokerConsole.Tests.Host;

/// <summary>
/// After a backlog drains, the host gives its memory back (how much is measured by <c>src/BrokerBench/compare.sh</c>;
/// here, when it does so and when not).
/// </summary>
public sealed class MemoryReturnTests
{
    private static async Task FillAsync(TestHost host, string queue, int mebibytes)
    {
        using var api = host.CreateHttpClient();
        var response = await api.PostAsJsonAsync($"/api/brokers/b1/queues/{queue}/messages", new { body = new string('x', 1024 * 1024), count = mebibytes });
        response.EnsureSuccessStatusCode();
    }

    private static async Task PurgeAsync(TestHost host, string queue)
    {
        using var api = host.CreateHttpClient();
        (await api.DeleteAsync($"/api/brokers/b1/queues/{queue}/messages")).EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task BacklogDrained_MemoryReturnedOnce()
    {
        await using var host = await TestHost.StartAsync();
        var memoryReturn = host.Services.GetRequiredService<MemoryReturn>();
        await FillAsync(host, "backlog", 40);

        Assert.False(memoryReturn.Check());
        await PurgeAsync(host, "backlog");

        // The host's own timer may check first; either way memory is returned once.
        memoryReturn.Check();
        Assert.Equal(1, memoryReturn.Returns);
        Assert.False(memoryReturn.Check());
        Assert.Equal(1, memoryReturn.Returns);
        await host.WaitForLogAsync("memory returned to the system");
    }

    [Fact]
    public async Task SmallOrPartialFall_NothingDone()
    {
        await using var host = await TestHost.StartAsync();
        var memoryReturn = host.Services.GetRequiredService<MemoryReturn>();
        await FillAsync(host, "small", 8);
        Assert.False(memoryReturn.Check());
        await PurgeAsync(host, "small");
        // Below the 32 MiB peak worth a full collection.
        Assert.False(memoryReturn.Check());

        await FillAsync(host, "kept", 30);
        await FillAsync(host, "drained", 20);
        Assert.False(memoryReturn.Check());
        await PurgeAsync(host, "drained");

        // 30 of 50 MiB still held: more than a quarter of the peak.
        Assert.False(memoryReturn.Check());
        Assert.Equal(0, memoryReturn.Returns);
    }
}
