using System.Collections.Concurrent;
using Broker.Stomp.Protocol;

namespace Broker.Testing;

/// <summary>What producers and a consumer did before a kill (bodies as keys).</summary>
public sealed class Traffic
{
    public ConcurrentDictionary<string, byte> Sent { get; } = new();

    /// <summary>SENDs whose RECEIPT arrived.</summary>
    public ConcurrentDictionary<string, byte> Receipted { get; } = new();

    public ConcurrentDictionary<string, byte> Delivered { get; } = new();

    /// <summary>ACKs written (applied or not).</summary>
    public ConcurrentDictionary<string, byte> AckSent { get; } = new();

    /// <summary>ACKs whose RECEIPT arrived.</summary>
    public ConcurrentDictionary<string, byte> Consumed { get; } = new();

    public ConcurrentQueue<string> Unexpected { get; } = new();

    public TaskCompletionSource Flowing { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Summary => $"sent {Sent.Count}, receipted {Receipted.Count}, delivered {Delivered.Count}, ack sent {AckSent.Count}, ack receipted {Consumed.Count}";

    /// <summary>Persistent SENDs with receipts, at most <paramref name="window"/> unreceipted, until stopped or the connection dies.</summary>
    public async Task ProduceAsync(int port, string destination, string name, CancellationToken cancellationToken, int window = 16)
    {
        StompTestClient client;
        try
        {
            client = await DurabilityStomp.ConnectAsync(port);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or EndOfStreamException or InvalidOperationException)
        {
            Unexpected.Enqueue($"{name}: cannot connect: {e.Message}");
            return;
        }
        await using var _ = client;
        using var slots = new SemaphoreSlim(window);
        var receipts = Task.Run(async () =>
        {
            try
            {
                while (await client.TryReceiveAsync(TimeSpan.FromSeconds(30)) is { } frame)
                {
                    if (frame.Command != "RECEIPT")
                    {
                        Unexpected.Enqueue($"{name}: {DurabilityStomp.Describe(frame)}");
                        return;
                    }
                    Receipted.TryAdd(frame["receipt-id"]!, 0);
                    Flowing.TrySetResult();
                    slots.Release();
                }
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException or ObjectDisposedException)
            {
            }
        }, CancellationToken.None);
        try
        {
            for (var i = 1; !cancellationToken.IsCancellationRequested && !receipts.IsCompleted; i++)
            {
                if (!await slots.WaitAsync(TimeSpan.FromMilliseconds(200), cancellationToken))
                {
                    i--;
                    continue;
                }
                var body = $"{name}-m{i}";
                Sent.TryAdd(body, 0);
                await DurabilityStomp.SendPersistentAsync(client, destination, body, receipt: body);
            }
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        if (cancellationToken.IsCancellationRequested)
        {
            // Stopped on purpose: collect the receipts still due before hanging up.
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (Sent.Keys.Any(b => b.StartsWith(name + "-", StringComparison.Ordinal) && !Receipted.ContainsKey(b))
                   && !receipts.IsCompleted && DateTime.UtcNow < deadline)
            {
                await Task.WhenAny(receipts, Task.Delay(20, CancellationToken.None));
            }
            await client.DisposeAsync();
        }
        await receipts;
    }

    /// <summary>Consumes with client-individual acks, each ACK with a receipt, until stopped or the connection dies.</summary>
    public async Task ConsumeAsync(int port, string destination, CancellationToken cancellationToken)
    {
        try
        {
            await using var client = await DurabilityStomp.ConnectAsync(port);
            await DurabilityStomp.SubscribeAsync(client, destination, "c", "client-individual", prefetch: 50);
            while (!cancellationToken.IsCancellationRequested && await client.TryReceiveAsync(TimeSpan.FromSeconds(30)) is { } frame)
            {
                switch (frame.Command)
                {
                    case "MESSAGE":
                        var body = DurabilityStomp.Body(frame);
                        Delivered.TryAdd(body, 0);
                        AckSent.TryAdd(body, 0);
                        await client.SendAsync("ACK", ("id", frame["ack"]!), ("receipt", "ack:" + body));
                        break;
                    case "RECEIPT" when frame["receipt-id"]!.StartsWith("ack:", StringComparison.Ordinal):
                        Consumed.TryAdd(frame["receipt-id"]!["ack:".Length..], 0);
                        break;
                    default:
                        Unexpected.Enqueue($"consumer: {DurabilityStomp.Describe(frame)}");
                        return;
                }
            }
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException
            or EndOfStreamException or InvalidOperationException or ObjectDisposedException)
        {
            // The broker was killed under us.
        }
    }

    /// <summary>
    /// The promise of the receipts, checked on what the new master delivers: every receipted message with no ACK
    /// written is there exactly once; nothing whose ACK was receipted comes back; nothing appears twice; a
    /// message seen before the kill may come back only marked <c>redelivered:true</c>. Returns the problems.
    /// </summary>
    public List<string> Check(IReadOnlyList<StompFrame> drained)
    {
        var problems = new List<string>();
        if (!Unexpected.IsEmpty)
        {
            problems.Add($"unexpected frames before the kill: {string.Join(" | ", Unexpected)}");
        }
        if (Receipted.IsEmpty)
        {
            problems.Add("no SEND was receipted before the kill");
        }
        var counts = drained.GroupBy(DurabilityStomp.Body).ToDictionary(g => g.Key, g => g.ToList());
        var lost = Receipted.Keys.Where(b => !AckSent.ContainsKey(b) && !counts.ContainsKey(b)).Order().ToList();
        var resurrected = Consumed.Keys.Where(counts.ContainsKey).Order().ToList();
        var twice = counts.Where(c => c.Value.Count > 1).Select(c => c.Key).Order().ToList();
        var unknown = counts.Keys.Where(b => !Sent.ContainsKey(b)).Order().ToList();
        var unmarked = counts.Where(c => Delivered.ContainsKey(c.Key) && c.Value.Any(f => f["redelivered"] != "true")).Select(c => c.Key).Order().ToList();
        Add(lost, "receipted, unacknowledged messages lost");
        Add(resurrected, "messages whose ACK was receipted came back");
        Add(twice, "messages delivered more than once by the new master");
        Add(unknown, "messages nobody sent");
        Add(unmarked, "messages delivered before the kill came back without redelivered:true");
        return problems;

        void Add(List<string> bodies, string what)
        {
            if (bodies.Count > 0)
            {
                problems.Add($"{bodies.Count} {what}, e.g. {string.Join(", ", bodies.Take(10))}");
            }
        }
    }
}
