using System.Collections.Concurrent;
using System.Text.Json;
using Broker.Stomp.Protocol;
using BrokerConsole.Tests.Infrastructure;

namespace BrokerConsole.Tests.Replication;

/// <summary>Starting master/slave pairs of <see cref="BrokerProcess"/>es and reading their API, for the replication tests.</summary>
internal static class Replicas
{
    public static readonly TimeSpan SyncTimeout = TimeSpan.FromSeconds(45);
    public static readonly TimeSpan FailoverTimeout = TimeSpan.FromSeconds(20);

    /// <summary>The replication user every broker knows (a master checks the slave's login against it).</summary>
    public static readonly string[] ReplicationUser =
        ["--Security:Users:replicator:Password=replicator", "--Security:Users:replicator:Roles:0=replication"];

    public static readonly string[] Credentials = ["--Replication:UserName=replicator", "--Replication:Password=replicator"];

    public static BrokerProcessOptions Master(params string[] settings) => new() { Settings = [.. ReplicationUser, .. settings] };

    /// <summary>A slave of the master (or proxy) listening on <paramref name="masterPort"/>, MasterConnectorUri form.</summary>
    public static BrokerProcessOptions SlaveOf(int masterPort, params string[] settings) => new()
    {
        Slave = true,
        Settings = [.. ReplicationUser, .. Credentials, $"--Brokers:b1:MasterConnectorUri=tcp://127.0.0.1:{masterPort}", .. settings],
    };

    public static string State(JsonElement view) => view.GetProperty("state").GetString()!;

    public static string Role(JsonElement view) => view.GetProperty("role").GetString()!;

    public static long Epoch(JsonElement view) => view.GetProperty("epoch").GetInt64();

    public static long Repl(JsonElement view, string property) => view.GetProperty("replication").GetProperty(property).GetInt64();

    /// <summary>Both sides agree: the slave says "slave in sync" and the master "master protected".</summary>
    public static async Task WaitInSyncAsync(BrokerProcess master, BrokerProcess slave, CancellationToken cancellationToken = default)
    {
        await slave.WaitForViewAsync(v => State(v) == "slave in sync", SyncTimeout, "slave in sync", cancellationToken);
        await master.WaitForViewAsync(v => State(v) == "master protected", SyncTimeout, "master protected", cancellationToken);
    }

    /// <summary>Sends <paramref name="count"/> persistent messages with receipts (a window in flight); returns the bodies, all receipted.</summary>
    public static async Task<List<string>> SendAsync(int port, string destination, string prefix, int count, int window = 64)
    {
        await using var client = await DurabilityStomp.ConnectAsync(port);
        var bodies = new List<string>(count);
        var receipted = 0;
        for (var i = 1; i <= count; i++)
        {
            var body = $"{prefix}-{i}";
            bodies.Add(body);
            await DurabilityStomp.SendPersistentAsync(client, destination, body, receipt: body);
            while (i - receipted >= window || (i == count && receipted < count))
            {
                var reply = await client.ReceiveAsync(TimeSpan.FromSeconds(30));
                if (reply.Command != "RECEIPT")
                {
                    throw new InvalidOperationException($"SEND {body} answered {DurabilityStomp.Describe(reply)}");
                }
                receipted++;
            }
        }
        return bodies;
    }

    /// <summary>Every MESSAGE (auto ack) until none arrives for <paramref name="quiet"/>; any other frame fails.</summary>
    public static async Task<List<StompFrame>> DrainAsync(int port, string destination, TimeSpan? quiet = null)
    {
        await using var client = await DurabilityStomp.ConnectAsync(port);
        await DurabilityStomp.SubscribeAsync(client, destination, "drain", "auto");
        var frames = await client.DrainAsync(quiet ?? TimeSpan.FromSeconds(1.5));
        if (frames.FirstOrDefault(f => f.Command != "MESSAGE") is { } unexpected)
        {
            throw new InvalidOperationException($"draining {destination} got {DurabilityStomp.Describe(unexpected)}");
        }
        return frames;
    }

    public static List<string> Bodies(IEnumerable<StompFrame> frames) => [.. frames.Select(DurabilityStomp.Body)];

    /// <summary>For assertion messages: both processes' views and output.</summary>
    public static string Describe(params BrokerProcess[] brokers) =>
        string.Join(Environment.NewLine + "=====" + Environment.NewLine, brokers.Select(b => b.Describe()));
}

/// <summary>What producers and a consumer did before a kill (bodies as keys).</summary>
internal sealed class Traffic
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
