using System.Collections.Concurrent;
using Broker.Client;

namespace BrokerConsole.Tests.Replication;

/// <summary>
/// The soak's producers, all persistent with receipts, each recording what it sent and what was receipted (bodies
/// as keys): the .NET client on the pair's failover URI (every SEND stamped with <c>producer-id</c>/<c>producer-seq</c>,
/// resent after a failover), and raw STOMP producers without a producer id that hop to whichever broker serves and
/// never resend.
/// </summary>
internal sealed class SoakProducers
{
    public const string Destination = "/queue/soak";

    /// <summary>Body prefix of the producer that stamps producer-id: its bodies must never be delivered twice.</summary>
    public const string StampedPrefix = "F-";

    public ConcurrentDictionary<string, byte> Sent { get; } = new();

    public ConcurrentDictionary<string, byte> Receipted { get; } = new();

    public ConcurrentQueue<string> Problems { get; } = new();

    /// <summary>The .NET client with failover over <paramref name="ports"/> (in that order), sending until stopped.</summary>
    public async Task StampedAsync(int[] ports, CancellationToken stop)
    {
        var uri = $"failover:({string.Join(',', ports.Select(p => $"tcp://127.0.0.1:{p}"))})?randomize=false&initialReconnectDelay=10&maxReconnectDelay=200";
        var options = StompClientOptions.Default with
        {
            Login = "admin",
            Passcode = "admin",
            HeartbeatSend = TimeSpan.FromSeconds(1),
            HeartbeatReceive = TimeSpan.FromSeconds(1),
        };
        try
        {
            await using var connection = await StompConnection.ConnectAsync(uri, options, stop);
            for (var i = 1; !stop.IsCancellationRequested; i++)
            {
                var body = $"{StampedPrefix}{i}";
                Sent.TryAdd(body, 0);
                try
                {
                    await connection.SendAsync(Destination, body, SendOptions.Default, stop);
                    Receipted.TryAdd(body, 0);
                }
                catch (StompErrorException e)
                {
                    Problems.Enqueue($"{body}: refused: {e.Message}");
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopped; a send cancelled while waiting for its receipt counts as not receipted.
        }
    }

    /// <summary>
    /// Raw STOMP without producer-id, <paramref name="window"/> SENDs in flight: connects to the first of
    /// <paramref name="ports"/> that takes a CONNECT, sends until that connection ends, then looks again.
    /// </summary>
    public async Task RawAsync(string name, int[] ports, CancellationToken stop, int window = 8)
    {
        var next = 0;
        while (!stop.IsCancellationRequested)
        {
            StompTestClient? client = null;
            foreach (var port in ports)
            {
                try
                {
                    client = await DurabilityStomp.ConnectAsync(port);
                    break;
                }
                catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or EndOfStreamException or InvalidOperationException)
                {
                    // Not serving (a slave's connector is closed): the next one.
                }
            }
            if (client is null)
            {
                await Task.Delay(50, CancellationToken.None);
                continue;
            }
            next = await SendUntilClosedAsync(client, name, next, window, stop);
        }
    }

    /// <summary>Exactly <paramref name="count"/> raw receipted SENDs on <paramref name="port"/>; the receipted bodies.</summary>
    public async Task<int> BurstAsync(int port, string name, int count)
    {
        await using var client = await DurabilityStomp.ConnectAsync(port);
        var receipted = 0;
        for (var i = 1; i <= count; i++)
        {
            var body = $"{name}-{i}";
            Sent.TryAdd(body, 0);
            await DurabilityStomp.SendPersistentAsync(client, Destination, body, body);
            var reply = await client.ReceiveAsync(TimeSpan.FromSeconds(30));
            if (reply.Command != "RECEIPT")
            {
                Problems.Enqueue($"{body}: {DurabilityStomp.Describe(reply)}");
                break;
            }
            Receipted.TryAdd(body, 0);
            receipted++;
        }
        return receipted;
    }

    /// <summary>Sends until the connection ends or <paramref name="stop"/>; disposes the client; the last number used.</summary>
    private async Task<int> SendUntilClosedAsync(StompTestClient client, string name, int next, int window, CancellationToken stop)
    {
        using var slots = new SemaphoreSlim(window);
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
                    }
                    else if (frame["reconnect"] != "true")
                    {
                        // A fenced or handing-over broker says reconnect:true; anything else is worth a look.
                        Problems.Enqueue($"{name}: {DurabilityStomp.Describe(frame)}");
                    }
                    else
                    {
                        return;
                    }
                }
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException or ObjectDisposedException or EndOfStreamException)
            {
            }
        }, CancellationToken.None);
        try
        {
            while (!stop.IsCancellationRequested && !receipts.IsCompleted)
            {
                if (!await slots.WaitAsync(TimeSpan.FromMilliseconds(100), stop))
                {
                    continue;
                }
                var body = $"{name}-{++next}";
                Sent.TryAdd(body, 0);
                await DurabilityStomp.SendPersistentAsync(client, Destination, body, body);
            }
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        if (stop.IsCancellationRequested)
        {
            // Stopping: the receipts still due, briefly, before hanging up.
            await Task.WhenAny(receipts, Task.Delay(TimeSpan.FromSeconds(3), CancellationToken.None));
        }
        await client.DisposeAsync();
        await receipts;
        return next;
    }
}
