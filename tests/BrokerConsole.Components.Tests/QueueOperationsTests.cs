using System.Security.Claims;
using Broker.Core.Messages;
using BrokerConsole.Api;

namespace BrokerConsole.Components.Tests;

/// <summary>The server-side check behind the console's hidden buttons: a viewer's crafted call is refused.</summary>
public sealed class QueueOperationsTests : ConsoleContext
{
    private static ClaimsPrincipal User(string role) =>
        new(new ClaimsIdentity([new Claim(ClaimTypes.Name, role), new Claim(ClaimTypes.Role, role)], "test"));

    [Fact]
    public async Task Changes_Viewer_Forbidden()
    {
        var queues = Services.GetService(typeof(QueueOperations)) as QueueOperations ?? throw new InvalidOperationException();
        await queues.SendAsync(User("admin"), "b1", DestinationName.Queue("orders"), new SendCommand("x"u8.ToArray(), []));

        Assert.Equal(403, (await Assert.ThrowsAsync<OperationException>(() => queues.PurgeAsync(User("viewer"), "b1", "orders"))).Status);
        Assert.Equal(403, (await Assert.ThrowsAsync<OperationException>(() =>
            queues.SendAsync(User("viewer"), "b1", DestinationName.Queue("orders"), new SendCommand("x"u8.ToArray(), [])))).Status);
        Assert.Equal(403, Assert.Throws<OperationException>(() => queues.DeleteQueue(User("viewer"), "b1", "orders")).Status);
        Assert.Single(Broker.Browse("orders"));
    }

    [Fact]
    public async Task Purge_SecondWhileOneRuns_RefusedWithHowFarTheFirstIs()
    {
        var queues = Services.GetService(typeof(QueueOperations)) as QueueOperations ?? throw new InvalidOperationException();
        await queues.SendAsync(User("admin"), "b1", DestinationName.Queue("big"), new SendCommand("x"u8.ToArray(), [], Count: 2_500));
        using var release = new ManualResetEventSlim();
        var firstBatch = new TaskCompletionSource<OperationProgress>(TaskCreationOptions.RunContinuationsAsynchronously);
        // The first purge stops after its first batch until released: it is running when the second one comes.
        var progress = new BlockingProgress(p =>
        {
            firstBatch.TrySetResult(p);
            release.Wait(TimeSpan.FromSeconds(10));
        });
        var first = Task.Run(() => queues.PurgeAsync(User("admin"), "b1", "big", progress));
        Assert.Equal(new OperationProgress(QueueOperations.PurgeBatch, 2_500), await firstBatch.Task.WaitAsync(TimeSpan.FromSeconds(10)));

        var refused = await Assert.ThrowsAsync<OperationException>(() => queues.PurgeAsync(User("admin"), "b1", "big"));

        Assert.Equal(409, refused.Status);
        Assert.Equal("a purge of queue 'big' on b1 is already running (1,000 of 2,500); try again when it is done", refused.Message);
        release.Set();
        Assert.Equal(2_500, await first.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Null(Operations.Find(RunningOperations.PurgeKey("b1", "big")));
        Assert.Equal(0, await queues.PurgeAsync(User("admin"), "b1", "big"));
    }

    [Fact]
    public async Task Purge_BrokerStopsTakingChangesBetweenBatches_StopsThereWithAConflict()
    {
        var queues = Services.GetService(typeof(QueueOperations)) as QueueOperations ?? throw new InvalidOperationException();
        await queues.SendAsync(User("admin"), "b1", DestinationName.Queue("big"), new SendCommand("x"u8.ToArray(), [], Count: 2_500));
        // A switchover closes the write gate after the first batch: its store's last record is final from then on.
        var progress = new BlockingProgress(_ => Broker.Writes.CloseAsync(CancellationToken.None).Wait(TimeSpan.FromSeconds(10)));

        var stopped = await Assert.ThrowsAsync<OperationException>(() => queues.PurgeAsync(User("admin"), "b1", "big", progress));

        Assert.Equal(409, stopped.Status);
        Assert.Contains("after 1,000 of 2,500 messages", stopped.Message, StringComparison.Ordinal);
        Assert.Equal(1_500, Broker.Browse("big").Count);
        Assert.Null(Operations.Find(RunningOperations.PurgeKey("b1", "big")));
        Broker.Writes.Open();
    }

    [Fact]
    public async Task Move_SameMessageWhileOneRuns_Refused()
    {
        var queues = Services.GetService(typeof(QueueOperations)) as QueueOperations ?? throw new InvalidOperationException();
        var id = Assert.Single(await queues.SendAsync(User("admin"), "b1", DestinationName.Queue("orders"), new SendCommand("x"u8.ToArray(), [])));
        using var held = Operations.Start(RunningOperations.MoveKey("b1", "orders", id), "a move from another tab", 0);

        var refused = await Assert.ThrowsAsync<OperationException>(() => queues.MoveAsync(User("admin"), "b1", "orders", id, "elsewhere", copy: false));

        Assert.Equal(409, refused.Status);
        Assert.Single(Broker.Browse("orders"));
        Assert.Empty(Broker.Browse("elsewhere"));
    }

    /// <summary>An <see cref="IProgress{T}"/> that reports on the caller's thread (<see cref="Progress{T}"/> would post it elsewhere).</summary>
    private sealed class BlockingProgress(Action<OperationProgress> report) : IProgress<OperationProgress>
    {
        public void Report(OperationProgress value) => report(value);
    }
}
