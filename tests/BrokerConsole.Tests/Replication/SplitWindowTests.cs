using System.Diagnostics;
using System.Text;
using Broker.Storage;
using BrokerConsole.Api;
using Xunit.Abstractions;

namespace BrokerConsole.Tests.Replication;

/// <summary>
/// The split of the hardening issue, measured for each <c>WhenUnprotected</c> choice (the README's numbers): one host
/// with the pair, the replication link and b1's <c>Peer</c> path through proxies that stall (bytes held, nothing
/// closed). b2 promotes after MasterTimeout (1 s), b1 detaches it after ReplicationAckTimeout (2 s); both take
/// producers for <see cref="Window"/> after b2 opens, then the stall ends, b1 hears of b2 through its Peer, steps down
/// and sets aside what only it had. Whatever the choice, nothing receipted is silently gone.
/// </summary>
[Collection("Processes")]
public sealed class SplitWindowTests(ITestOutputHelper output)
{
    private const string Queue = "/queue/window";
    private const int InFlight = 16;
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(5);

    [Theory]
    [InlineData("Continue")]
    [InlineData("RefusePersistent")]
    public async Task Stall_BothSidesReceiptUntilTheOldMasterHearsOfTheNewOne_WhatIsSetAsideIsWhatOnlyItReceipted(string whenUnprotected)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var token = timeout.Token;
        var (httpPort, masterPort) = (TestHost.FreePort(), TestHost.FreePort());
        await using var link = TcpProxy.Start(masterPort);
        await using var peer = TcpProxy.Start(httpPort);
        await using var host = await TestHost.StartAsync(
        [
            .. TestHost.ReplicationSettings,
            $"--urls=http://127.0.0.1:{httpPort}",
            $"--Brokers:b1:Connectors:0=tcp://127.0.0.1:{masterPort}",
            "--Brokers:b1:DataDirectory={root}/data/b1",
            $"--Brokers:b1:Peer=http://127.0.0.1:{peer.Port}",
            "--Brokers:b1:PeerTimeout=00:00:01",
            $"--Brokers:b1:WhenUnprotected={whenUnprotected}",
            "--Brokers:b2:Connectors:0=tcp://127.0.0.1:0",
            "--Brokers:b2:DataDirectory={root}/data/b2",
            $"--Brokers:b2:MasterConnectorUri={link.Uri}",
        ]);
        await WaitForStateAsync(host, "b2", "slave in sync", token);
        await WaitForStateAsync(host, "b1", "master protected", token);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(token);
        var onOld = new PinnedProducer("A", masterPort);
        var producingOnOld = onOld.RunAsync(stop.Token);
        await Retry.UntilAsync("b1 receipts", () => onOld.Receipted.Count > 50, TimeSpan.FromSeconds(60));

        var clock = Stopwatch.StartNew();
        var beforeStall = onOld.Receipted.Count;
        link.Stall();
        peer.Stall();
        await WaitForStateAsync(host, "b2", "master unprotected", token);
        var promotedAfter = clock.Elapsed;
        var onNew = new PinnedProducer("B", host.StompPort("b2"));
        var producingOnNew = onNew.RunAsync(stop.Token);
        await Task.Delay(Window, token);
        link.Resume();
        peer.Resume();
        await WaitForStateAsync(host, "b1", "slave in sync", token);
        var fencedAfter = clock.Elapsed;
        await stop.CancelAsync();
        await Task.WhenAll(producingOnOld, producingOnNew);

        // None when b1 wrote nothing b2 lacks (RefusePersistent with nothing in flight at the stall).
        var archives = SetAsideArchive.List(host.Registry.Find("b1")!.Definition.Options.DataDirectory);
        Assert.InRange(archives.Count, whenUnprotected == "Continue" ? 1 : 0, 1);
        var setAside = archives.SelectMany(a => a.ReadMessages()).Select(m => Encoding.UTF8.GetString(m.Message.Body.Span)).ToHashSet(StringComparer.Ordinal);
        var setAsideRecords = archives.Sum(a => a.Summarize().Records);
        var served = Replicas.Bodies(await Replicas.DrainAsync(host.StompPort("b2"), Queue)).ToHashSet(StringComparer.Ordinal);
        var receiptedOnOld = onOld.Receipted.Keys.ToList();
        var duringCut = receiptedOnOld.Count - beforeStall;
        var onlySetAside = receiptedOnOld.Count(body => !served.Contains(body) && setAside.Contains(body));
        var gone = receiptedOnOld.Concat(onNew.Receipted.Keys).Where(body => !served.Contains(body) && !setAside.Contains(body)).Order().ToList();
        output.WriteLine($"WhenUnprotected {whenUnprotected}: b2 serving {promotedAfter.TotalSeconds:0.0} s after the stall, b1 fenced {fencedAfter.TotalSeconds:0.0} s after it; " +
            $"during the cut b1 receipted {duringCut} and refused {onOld.Refused}, b2 receipted {onNew.Receipted.Count}; " +
            $"set aside on b1: {setAsideRecords} records, {setAside.Count} messages, {onlySetAside} of them receipted and served by nobody until replayed");

        Assert.True(gone.Count == 0, $"{gone.Count} receipted messages neither served nor set aside, e.g. {string.Join(", ", gone.Take(10))}");
        Assert.True(onNew.Receipted.Count > 0, "b2 receipted nothing");
        // A receipt during the cut may be for a record b2 got before the stall (its ack was held): served, not set aside.
        Assert.InRange(onlySetAside, 0, duringCut);
        if (whenUnprotected == "Continue")
        {
            Assert.True(onlySetAside > InFlight, $"only {onlySetAside} of b1's receipts were set aside");
        }
        else
        {
            // What was waiting for the slave when the stall began got an ERROR at the detach, not a receipt: b1
            // receipted nothing that only it holds.
            Assert.Equal(0, onlySetAside);
            Assert.True(onOld.Refused > 0, "b1 refused nothing while unprotected");
        }
    }

    private static async Task WaitForStateAsync(TestHost host, string broker, string state, CancellationToken cancellationToken)
    {
        var hosted = host.Registry.Find(broker)!;
        var deadline = DateTime.UtcNow + Replicas.SyncTimeout;
        while (BrokerView.StateOf(hosted) != state)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{broker} not {state} within {Replicas.SyncTimeout.TotalSeconds} s: {BrokerView.StateOf(hosted)}{Environment.NewLine}{host.ReadLog()}");
            await Task.Delay(20, cancellationToken);
        }
    }

    /// <summary>Raw STOMP on one broker, <see cref="InFlight"/> persistent SENDs with receipts in flight; a refusal (ERROR) reconnects and counts.</summary>
    private sealed class PinnedProducer(string name, int port)
    {
        private int _next;
        private int _refused;

        public System.Collections.Concurrent.ConcurrentDictionary<string, byte> Receipted { get; } = new();

        public int Refused => Volatile.Read(ref _refused);

        public async Task RunAsync(CancellationToken stop)
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await using var client = await DurabilityStomp.ConnectAsync(port);
                    await SendUntilClosedAsync(client, stop);
                }
                catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or EndOfStreamException or InvalidOperationException or ObjectDisposedException)
                {
                    // Fenced (its connector closed), or a connection refused on a busy machine: ask again until stopped.
                    await Task.Delay(50, CancellationToken.None);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }
            }
        }

        private async Task SendUntilClosedAsync(StompTestClient client, CancellationToken stop)
        {
            using var slots = new SemaphoreSlim(InFlight);
            var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var receipts = Task.Run(async () =>
            {
                try
                {
                    while (await client.TryReceiveAsync(TimeSpan.FromSeconds(30)) is { } frame)
                    {
                        if (frame.Command == "RECEIPT")
                        {
                            Receipted.TryAdd(frame["receipt-id"]!, 0);
                            slots.Release();
                            continue;
                        }
                        if (frame["reconnect"] != "true")
                        {
                            Interlocked.Increment(ref _refused);
                        }
                        break;
                    }
                }
                catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or ObjectDisposedException or EndOfStreamException)
                {
                }
                closed.TrySetResult();
            }, CancellationToken.None);
            while (!stop.IsCancellationRequested && !closed.Task.IsCompleted)
            {
                if (await Task.WhenAny(slots.WaitAsync(stop), closed.Task) == closed.Task)
                {
                    break;
                }
                var body = $"{name}-{Interlocked.Increment(ref _next)}";
                try
                {
                    await DurabilityStomp.SendPersistentAsync(client, Queue, body, body);
                }
                catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or ObjectDisposedException)
                {
                    break;
                }
            }
            if (stop.IsCancellationRequested)
            {
                await Task.WhenAny(receipts, Task.Delay(TimeSpan.FromSeconds(3), CancellationToken.None));
            }
            else
            {
                // Refused: a moment before asking again, so a refusing broker is not hammered.
                await Task.Delay(20, CancellationToken.None);
            }
            await client.DisposeAsync();
            await receipts;
        }
    }
}
