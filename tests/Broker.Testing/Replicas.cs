using System.Text.Json;
using Broker.Stomp.Protocol;

namespace Broker.Testing;

/// <summary>Starting master/slave pairs of <see cref="BrokerProcess"/>es and reading their API, for the replication tests.</summary>
public static class Replicas
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

    /// <summary>
    /// SIGKILL of <paramref name="master"/> while two receipted producers and a consumer run on it (failover clients
    /// that move on to <paramref name="standby"/>): waits for the standby to accept STOMP and the clients to finish
    /// there, then drains what is left. <see cref="KilledUnderTraffic.Problems"/> is the traffic's strict check.
    /// </summary>
    public static async Task<KilledUnderTraffic> KillUnderTrafficAsync(BrokerProcess master, BrokerProcess standby, string destination, CancellationToken cancellationToken)
    {
        var traffic = new Traffic();
        using var stopClients = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var consumer = traffic.ConsumeAsync(master.Port, destination, stopClients.Token);
        var producers = Enumerable.Range(1, 2).Select(p => traffic.ProduceAsync(master.Port, destination, $"p{p}", stopClients.Token)).ToList();
        await traffic.Flowing.Task.WaitAsync(TimeSpan.FromSeconds(20), cancellationToken);
        await Task.Delay(400, cancellationToken);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        master.Kill();
        var port = await standby.WaitForStompAsync(FailoverTimeout, cancellationToken);
        var takeover = clock.Elapsed;
        await Task.WhenAll([consumer, .. producers]).WaitAsync(TimeSpan.FromSeconds(40), cancellationToken);
        await stopClients.CancelAsync();
        return new KilledUnderTraffic(traffic, await DrainAsync(port, destination), takeover);
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

/// <summary>What <see cref="Replicas.KillUnderTrafficAsync"/> saw: the traffic, what was left to drain, the time to the standby serving.</summary>
public sealed record KilledUnderTraffic(Traffic Traffic, List<StompFrame> Drained, TimeSpan Takeover)
{
    public List<string> Problems => Traffic.Check(Drained);

    public string Summary => $"{Traffic.Summary}; standby drained {Drained.Count}; SIGKILL -> standby accepting STOMP after {Takeover.TotalMilliseconds:0} ms";
}
