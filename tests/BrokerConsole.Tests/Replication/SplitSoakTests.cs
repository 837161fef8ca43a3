using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Broker.Storage;
using Xunit.Abstractions;

namespace BrokerConsole.Tests.Replication;

/// <summary>
/// Receipted producers (with and without <c>producer-id</c>) under repeated failovers of a two-process pair: rounds
/// alternate a link cut (both brokers receipt until the old master learns of the new one through its Peer and
/// rejoins it, setting aside what only it had) and a SIGKILL of the master (it restarts as the slave of the other).
/// At the end every receipted message is delivered by the surviving master or listed in a set-aside archive, never
/// silently gone; replaying the archives then delivers every one, the stamped producer's once each.
/// <c>BROKER_SOAK_ROUNDS</c> sets the number of rounds (2 by default).
/// </summary>
[Collection("Processes")]
public sealed class SplitSoakTests(ITestOutputHelper output)
{
    private static readonly string MasterTimeout = "--Brokers:b1:MasterTimeout=00:00:02";

    private static int Rounds =>
        int.TryParse(Environment.GetEnvironmentVariable("BROKER_SOAK_ROUNDS"), out var rounds) && rounds > 0 ? rounds : 2;

    [Fact]
    public async Task CutsAndKills_UnderReceiptedProducers_EveryReceiptDeliveredOrSetAside_NeverSilentlyGone()
    {
        var clock = Stopwatch.StartNew();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120 + (Rounds * 60)));
        var token = timeout.Token;
        var (portA, portB, httpB) = (TestHost.FreePort(), TestHost.FreePort(), TestHost.FreePort());
        int[] ports = [portA, portB];
        var proxies = new List<TcpProxy>();
        // A's Peer is B's HTTP address through a proxy, so a cut hides B's promotion from A until the heal.
        await using var peerOfA = TcpProxy.Start(httpB);
        var link = TcpProxy.Start(portA);
        proxies.Add(link);
        BrokerProcessOptions SlaveB(int masterPort) =>
            Replicas.SlaveOf(masterPort, $"--Brokers:b1:Connectors:0=tcp://127.0.0.1:{portB}", $"--urls=http://127.0.0.1:{httpB}", MasterTimeout);
        var producers = new SoakProducers();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(token);
        var running = new List<Task>();
        try
        {
            await using var a = await BrokerProcess.StartAsync(Replicas.Master([.. Replicas.Credentials, $"--Brokers:b1:Connectors:0=tcp://127.0.0.1:{portA}",
                $"--Brokers:b1:Peer=http://127.0.0.1:{peerOfA.Port}", "--Brokers:b1:PeerTimeout=00:00:01", MasterTimeout]), token);
            await using var b = await BrokerProcess.StartAsync(SlaveB(link.Port), token);
            await Replicas.WaitInSyncAsync(a, b, token);
            running.Add(producers.StampedAsync(ports, stop.Token));
            running.Add(producers.RawAsync("R", ports, stop.Token));
            await Retry.UntilAsync("the producers have receipts", () => producers.Receipted.Count > 20, TimeSpan.FromSeconds(30));

            for (var round = 1; round <= Rounds; round++)
            {
                if (round % 2 == 1)
                {
                    // A master, B its slave through the link proxy: cut the link and A's view of B.
                    link.Cut();
                    peerOfA.Cut();
                    await b.WaitForStompAsync(Replicas.FailoverTimeout, token);
                    await a.WaitForViewAsync(v => Replicas.State(v) == "master unprotected", Replicas.FailoverTimeout, "old master unprotected", token);
                    var onOld = await producers.BurstAsync(portA, $"RA{round}", 20);
                    var onNew = await producers.BurstAsync(portB, $"RB{round}", 20);
                    peerOfA.Heal();
                    await a.WaitForViewAsync(v => Replicas.State(v) == "slave in sync", Replicas.SyncTimeout, "old master fenced and in sync", token);
                    await b.WaitForViewAsync(v => Replicas.State(v) == "master protected", Replicas.SyncTimeout, "new master protected", token);
                    output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: round {round} (cut): {onOld} receipted by the old master and {onNew} by the new one during the split; {producers.Receipted.Count} receipted so far");
                }
                else
                {
                    // B master, A its slave: SIGKILL B; A takes over; B comes back as A's slave through a fresh link proxy.
                    b.Kill();
                    await a.WaitForStompAsync(Replicas.FailoverTimeout, token);
                    link = TcpProxy.Start(portA);
                    proxies.Add(link);
                    b.Options = SlaveB(link.Port);
                    await b.StartAsync(token);
                    await Replicas.WaitInSyncAsync(a, b, token);
                    output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: round {round} (SIGKILL of the master): {producers.Receipted.Count} receipted so far");
                }
            }

            await stop.CancelAsync();
            await Task.WhenAll(running).WaitAsync(TimeSpan.FromSeconds(30), token);
            var master = Replicas.Role(await a.GetViewAsync(token)) == "master" ? a : b;
            var slave = master == a ? b : a;
            await Replicas.WaitInSyncAsync(master, slave, token);
            await CheckAsync(producers, master, slave, clock, token);
        }
        finally
        {
            await stop.CancelAsync();
            foreach (var proxy in proxies)
            {
                await proxy.DisposeAsync();
            }
        }
    }

    private async Task CheckAsync(SoakProducers producers, BrokerProcess master, BrokerProcess slave, Stopwatch clock, CancellationToken token)
    {
        Assert.True(producers.Problems.IsEmpty, string.Join(Environment.NewLine, producers.Problems));
        var archives = new List<(BrokerProcess Owner, SetAsideArchive Archive)>();
        var setAside = new HashSet<string>(StringComparer.Ordinal);
        foreach (var owner in new[] { master, slave })
        {
            var found = SetAsideArchive.List(owner.DataDirectory);
            // The API lists what the files hold.
            using var response = await owner.RequestAsync(HttpMethod.Get, "/api/brokers/b1/set-aside", token);
            var listed = JsonDocument.Parse(await response.Content.ReadAsStringAsync(token)).RootElement.EnumerateArray()
                .ToDictionary(e => e.GetProperty("id").GetString()!, e => e.GetProperty("messages").GetInt32());
            Assert.Equal(found.ToDictionary(f => f.Id, f => f.Summarize().Messages), listed);
            foreach (var archive in found)
            {
                archives.Add((owner, archive));
                setAside.UnionWith(archive.ReadMessages().Select(m => Encoding.UTF8.GetString(m.Message.Body.Span)));
            }
        }
        var delivered = Replicas.Bodies(await Replicas.DrainAsync(master.Port, SoakProducers.Destination, TimeSpan.FromSeconds(2)));
        var deliveredSet = delivered.ToHashSet(StringComparer.Ordinal);
        var receipted = producers.Receipted.Keys.ToList();
        var gone = receipted.Where(body => !deliveredSet.Contains(body) && !setAside.Contains(body)).Order().ToList();
        var onlySetAside = receipted.Count(body => !deliveredSet.Contains(body) && setAside.Contains(body));
        Assert.True(gone.Count == 0, $"{gone.Count} receipted messages neither delivered nor set aside, e.g. {string.Join(", ", gone.Take(20))}{Environment.NewLine}{Replicas.Describe(master, slave)}");

        // The operator's way back: every archive replayed into the master (the slave's copied over first, as the README says).
        var (replayed, held) = (0, 0);
        foreach (var (owner, archive) in archives)
        {
            var summary = archive.Summarize();
            var id = archive.Id;
            if (owner != master)
            {
                id = archive.Id.Replace("-from-", "-copied-from-", StringComparison.Ordinal);
                var copy = Path.Combine(master.DataDirectory, SetAsideArchive.FolderName, id);
                Directory.CreateDirectory(copy);
                foreach (var file in Directory.GetFiles(archive.Path))
                {
                    File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
                }
            }
            using var response = await master.RequestAsync(HttpMethod.Post, $"/api/brokers/b1/set-aside/{id}/replay", token);
            var text = await response.Content.ReadAsStringAsync(token);
            Assert.True(response.IsSuccessStatusCode, $"replay of {id}: {response.StatusCode} {text}");
            var answer = JsonDocument.Parse(text).RootElement;
            replayed += answer.GetProperty("replayed").GetInt32();
            held += answer.GetProperty("alreadyHeld").GetInt32();
            output.WriteLine($"archive {archive.Id} of the {(owner == master ? "master" : "slave")}: {summary.Records} records from {summary.DivergedAt}, " +
                $"{summary.Messages} messages; replay sent {answer.GetProperty("replayed").GetInt32()}, {answer.GetProperty("alreadyHeld").GetInt32()} already held");
        }
        var afterReplay = Replicas.Bodies(await Replicas.DrainAsync(master.Port, SoakProducers.Destination, TimeSpan.FromSeconds(2)));
        var all = delivered.Concat(afterReplay).ToList();
        var allSet = all.ToHashSet(StringComparer.Ordinal);
        var missing = receipted.Where(body => !allSet.Contains(body)).Order().ToList();
        var twice = all.GroupBy(body => body).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        var stampedTwice = twice.Where(body => body.StartsWith(SoakProducers.StampedPrefix, StringComparison.Ordinal)).Order().ToList();
        output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s, {Rounds} rounds: sent {producers.Sent.Count}, receipted {receipted.Count}; delivered {delivered.Count}; " +
            $"{archives.Count} archives holding {setAside.Count} messages, {onlySetAside} of them receipted and found nowhere else; replay sent {replayed}, skipped {held} already held; " +
            $"then {afterReplay.Count} more delivered; duplicates: {twice.Count} (with producer-id: {stampedTwice.Count})");
        Assert.True(missing.Count == 0, $"{missing.Count} receipted messages not delivered after the replay, e.g. {string.Join(", ", missing.Take(20))}");
        // An archive holds what only its broker had. The master may hold one of them only when the stamped producer
        // resent it there (the one send it had in flight at a failover): more means records both copies share were set aside.
        Assert.True(held <= Rounds, $"the archives held {held} messages the master already had ({Rounds} rounds): set aside from before the real divergence");
        Assert.True(stampedTwice.Count == 0, $"{stampedTwice.Count} messages with producer-id delivered twice, e.g. {string.Join(", ", stampedTwice.Take(20))}");
    }
}
