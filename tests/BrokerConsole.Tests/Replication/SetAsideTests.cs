using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Broker.Storage;
using BrokerConsole.Api;
using Xunit.Abstractions;

namespace BrokerConsole.Tests.Replication;

/// <summary>
/// A real split (the link cut through a <see cref="TcpProxy"/>, both brokers receipting), then what the fenced side
/// set aside: listed over the API, replayed into the current master once each, or discarded.
/// </summary>
[Collection("Processes")]
public sealed class SetAsideTests(ITestOutputHelper output)
{
    private const string Queue = "/queue/split";

    [Fact]
    public async Task LinkCut_OldMastersReceipts_ListedThenReplayedOnTheNewMastersHost_EachOnce_OrDiscarded()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(180));
        var token = timeout.Token;
        await using var master = await BrokerProcess.StartAsync(Replicas.Master(), token);
        await using var proxy = TcpProxy.Start(master.Port);
        await using var slave = await BrokerProcess.StartAsync(Replicas.SlaveOf(proxy.Port), token);
        await Replicas.WaitInSyncAsync(master, slave, token);
        var shared = await Replicas.SendAsync(master.Port, Queue, "shared", 40);

        proxy.Cut();
        var slavePort = await slave.WaitForStompAsync(Replicas.FailoverTimeout, token);
        await master.WaitForViewAsync(v => Replicas.State(v) == "master unprotected", TimeSpan.FromSeconds(10), "master unprotected", token);
        var splitStarted = DateTimeOffset.UtcNow;
        var onlyOnOldMaster = await Replicas.SendAsync(master.Port, Queue, "only-old", 30);
        var onNewMaster = await Replicas.SendAsync(slavePort, Queue, "new", 10);
        var splitEnded = DateTimeOffset.UtcNow;

        // Without a Peer the old master stays master until it is stopped; it comes back as the new master's slave.
        master.Kill();
        master.Options = Replicas.SlaveOf(slavePort);
        await master.StartAsync(token);
        await Replicas.WaitInSyncAsync(slave, master, token);

        var listed = Assert.Single(await ListAsync(master, token));
        output.WriteLine($"old master lists: {listed}");
        Assert.Equal(30, listed.GetProperty("messages").GetInt32());
        var destination = Assert.Single(listed.GetProperty("destinations").EnumerateArray());
        Assert.Equal((Queue, 30), (destination.GetProperty("destination").GetString(), destination.GetProperty("messages").GetInt32()));
        Assert.InRange(listed.GetProperty("firstMessageAt").GetDateTimeOffset(), splitStarted.AddSeconds(-1), splitEnded);
        Assert.InRange(listed.GetProperty("lastMessageAt").GetDateTimeOffset(), splitStarted.AddSeconds(-1), splitEnded);
        Assert.Equal(JsonValueKind.Null, listed.GetProperty("replayInto").ValueKind);
        Assert.Contains("copy the folder", listed.GetProperty("replayRefusal").GetString(), StringComparison.Ordinal);
        var id = listed.GetProperty("id").GetString()!;
        var archive = SetAsideArchive.Find(master.DataDirectory, id)!;
        Assert.Equal(onlyOnOldMaster.Order(), archive.ReadMessages().Select(m => Encoding.UTF8.GetString(m.Message.Body.Span)).Order());

        // Its master runs elsewhere: refused here, with what to do instead.
        using (var refused = await master.RequestAsync(HttpMethod.Post, $"/api/brokers/b1/set-aside/{id}/replay", token))
        {
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
            Assert.Contains("copy the folder", await refused.Content.ReadAsStringAsync(token), StringComparison.Ordinal);
        }

        // As the README says: copy the folder to the master's data directory and replay it there.
        CopyDirectory(archive.Path, Path.Combine(slave.DataDirectory, SetAsideArchive.FolderName, id));
        var onMaster = Assert.Single(await ListAsync(slave, token));
        Assert.Equal("b1", onMaster.GetProperty("replayInto").GetString());
        var replay = await PostAsync(slave, $"/api/brokers/b1/set-aside/{id}/replay", token);
        output.WriteLine($"replay: {replay}");
        Assert.Equal((30, 30, 0), (replay.GetProperty("messages").GetInt32(), replay.GetProperty("replayed").GetInt32(), replay.GetProperty("alreadyHeld").GetInt32()));
        Assert.Empty(await ListAsync(slave, token));
        using (var again = await slave.RequestAsync(HttpMethod.Post, $"/api/brokers/b1/set-aside/{id}/replay", token))
        {
            Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        }
        var served = Replicas.Bodies(await Replicas.DrainAsync(slavePort, Queue));
        Assert.Equal([.. shared, .. onNewMaster, .. onlyOnOldMaster], served);

        // The old master's own copy: discarded, gone from the list and from the disk.
        var discarded = await PostAsync(master, $"/api/brokers/b1/set-aside/{id}/discard", token);
        Assert.Equal(30, discarded.GetProperty("discarded").GetInt32());
        Assert.Empty(await ListAsync(master, token));
        Assert.False(Directory.Exists(archive.Path));
        Assert.Contains("discard-set-aside", master.Output, StringComparison.Ordinal);
        Assert.Contains("replay-set-aside", slave.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LinkAndPeerCut_FencedMasterInThisHost_ReplayedIntoItsPartner_ProducerSeqDedupIsExact()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var httpPort = TestHost.FreePort();
        var masterPort = TestHost.FreePort();
        await using var link = TcpProxy.Start(masterPort);
        await using var peer = TcpProxy.Start(httpPort);
        // One host, as appsettings.json has the pair; b1 learns of b2's promotion through its Peer, which points back at this host.
        await using var host = await TestHost.StartAsync(
        [
            .. TestHost.ReplicationSettings,
            $"--urls=http://127.0.0.1:{httpPort}",
            $"--Brokers:b1:Connectors:0=tcp://127.0.0.1:{masterPort}",
            "--Brokers:b1:DataDirectory={root}/data/b1",
            $"--Brokers:b1:Peer=http://127.0.0.1:{peer.Port}",
            "--Brokers:b1:PeerTimeout=00:00:01",
            "--Brokers:b2:Connectors:0=tcp://127.0.0.1:0",
            "--Brokers:b2:DataDirectory={root}/data/b2",
            $"--Brokers:b2:MasterConnectorUri={link.Uri}",
        ]);
        await WaitForStateAsync(host, "b2", "slave in sync", timeout.Token);
        await WaitForStateAsync(host, "b1", "master protected", timeout.Token);
        var before = await SendEachAsync(masterPort, Producer("P", 1, 20));

        link.Cut();
        peer.Cut();
        await WaitForStateAsync(host, "b2", "master unprotected", timeout.Token);
        await WaitForStateAsync(host, "b1", "master unprotected", timeout.Token);
        var onOld = await SendEachAsync(masterPort, [.. Producer("P", 21, 40), .. Plain("plain", 10)]);
        // P then moves to the new master: it resends 40 (as if its receipt had been lost) and goes on from 41,
        // so b2's duplicate filter marks P at 50, above everything P left on b1.
        var onNew = await SendEachAsync(host.StompPort("b2"), Producer("P", 40, 50));
        peer.Heal();
        await WaitForStateAsync(host, "b1", "slave in sync", timeout.Token);

        using var http = host.CreateHttpClient();
        var listed = Assert.Single(JsonDocument.Parse(await http.GetStringAsync("/api/brokers/b1/set-aside")).RootElement.EnumerateArray());
        output.WriteLine($"b1 lists: {listed}");
        Assert.Equal(30, listed.GetProperty("messages").GetInt32());
        Assert.Equal("b2", listed.GetProperty("replayInto").GetString());
        var id = listed.GetProperty("id").GetString()!;
        var archive = SetAsideArchive.Find(host.Registry.Find("b1")!.Definition.Options.DataDirectory, id)!;
        Assert.Equal(onOld.Order(), archive.ReadMessages().Select(m => Encoding.UTF8.GetString(m.Message.Body.Span)).Order());

        using (var viewer = host.CreateHttpClient("viewer"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsync($"/api/brokers/b1/set-aside/{id}/replay", null)).StatusCode);
        }
        using var response = await http.PostAsync($"/api/brokers/b1/set-aside/{id}/replay", null);
        var replay = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        output.WriteLine($"replay: {replay}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("b2", replay.GetProperty("into").GetString());
        Assert.Equal((30, 29, 1), (replay.GetProperty("messages").GetInt32(), replay.GetProperty("replayed").GetInt32(), replay.GetProperty("alreadyHeld").GetInt32()));

        var served = Replicas.Bodies(await Replicas.DrainAsync(host.StompPort("b2"), Queue));
        string[] expected = [.. before, .. onOld, .. onNew];
        Assert.Equal(expected.Distinct().Order(), served.Order());
        Assert.Empty(JsonDocument.Parse(await http.GetStringAsync("/api/brokers/b1/set-aside")).RootElement.EnumerateArray());
        Assert.Contains("replay-set-aside", await host.WaitForLogAsync("replay-set-aside"), StringComparison.Ordinal);
    }

    private static IEnumerable<(string Body, (string, string)[] Headers)> Producer(string id, int from, int to) =>
        Enumerable.Range(from, to - from + 1).Select(i => ($"{id}-{i}", new[] { ("producer-id", id), ("producer-seq", i.ToString(CultureInfo.InvariantCulture)) }));

    private static IEnumerable<(string Body, (string, string)[] Headers)> Plain(string prefix, int count) =>
        Enumerable.Range(1, count).Select(i => ($"{prefix}-{i}", Array.Empty<(string, string)>()));

    /// <summary>Persistent SENDs with receipts, one after another; the bodies, all receipted.</summary>
    private static async Task<List<string>> SendEachAsync(int port, IEnumerable<(string Body, (string, string)[] Headers)> messages)
    {
        await using var client = await DurabilityStomp.ConnectAsync(port);
        var bodies = new List<string>();
        foreach (var (body, headers) in messages)
        {
            await DurabilityStomp.SendPersistentAsync(client, Queue, body, body, headers);
            var reply = await client.ReceiveAsync(TimeSpan.FromSeconds(30));
            Assert.True(reply.Command == "RECEIPT", $"SEND {body} answered {DurabilityStomp.Describe(reply)}");
            bodies.Add(body);
        }
        return bodies;
    }

    private static async Task WaitForStateAsync(TestHost host, string broker, string state, CancellationToken cancellationToken)
    {
        var hosted = host.Registry.Find(broker)!;
        var deadline = DateTime.UtcNow + Replicas.SyncTimeout;
        while (BrokerView.StateOf(hosted) != state)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{broker} not {state} within {Replicas.SyncTimeout.TotalSeconds} s: {BrokerView.StateOf(hosted)}{Environment.NewLine}{host.ReadLog()}");
            await Task.Delay(50, cancellationToken);
        }
    }

    private static async Task<List<JsonElement>> ListAsync(BrokerProcess broker, CancellationToken cancellationToken)
    {
        using var response = await broker.RequestAsync(HttpMethod.Get, "/api/brokers/b1/set-aside", cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"{response.StatusCode}: {text}");
        return [.. JsonDocument.Parse(text).RootElement.EnumerateArray().Select(e => e.Clone())];
    }

    private static async Task<JsonElement> PostAsync(BrokerProcess broker, string path, CancellationToken cancellationToken)
    {
        using var response = await broker.RequestAsync(HttpMethod.Post, path, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"{response.StatusCode}: {text}{Environment.NewLine}{broker.Describe()}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
    }
}
