using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using BrokerConsole.Tests.Infrastructure;
using Xunit.Abstractions;

namespace BrokerConsole.Tests.Remote;

/// <summary>
/// Several host processes watching each other (issue 12): host A runs the master <c>b1</c>, host B its slave, and
/// host C, with no broker of its own, watches both over their monitor hubs and forwards operator actions.
/// </summary>
[Collection("Processes")]
public sealed class ManyHostsTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(20);

    private static readonly string[] Viewer = ["--Security:Users:viewer:Password=viewer", "--Security:Users:viewer:Roles:0=viewer"];

    private static string[] Watch(string name, int httpPort, string password = "admin") =>
    [
        $"--Console:Hosts:{name}:Url=http://127.0.0.1:{httpPort}",
        $"--Console:Hosts:{name}:UserName=admin",
        $"--Console:Hosts:{name}:Password={password}",
    ];

    [Fact]
    public async Task ConsoleOnlyHost_WatchesPairAcrossTwoHosts_ThroughForwardedActions_KillAndRestart()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var token = timeout.Token;
        var (portA, portB) = (FreePorts.Next(), FreePorts.Next());
        string[] onA = [$"--urls=http://127.0.0.1:{portA}", .. Viewer];
        await using var a = await BrokerProcess.StartAsync(Replicas.Master(onA), token);
        await using var b = await BrokerProcess.StartAsync(Replicas.SlaveOf(a.Port, $"--urls=http://127.0.0.1:{portB}"), token);
        await Replicas.WaitInSyncAsync(a, b, token);
        // C: every broker off (a console for the others); "x" is host A again with a wrong password.
        await using var c = await BrokerProcess.StartAsync(new BrokerProcessOptions
        {
            Slave = true,
            Settings = ["--Brokers:b1:Enabled=false", .. Viewer, .. Watch("a", portA), .. Watch("b", portB), .. Watch("x", portA, "wrong")],
        }, token);

        var hosts = await WaitForAsync(c, "/api/hosts", h => State(h, "a") == "connected" && State(h, "b") == "connected" && State(h, "x") == "refused",
            "a and b connected, x refused", token);
        Assert.Equal(["local", "a", "b", "x"], hosts.EnumerateArray().Select(h => h.GetProperty("name").GetString()));
        Assert.Equal("connected", State(hosts, "local"));
        Assert.Contains("401", Host(hosts, "x").GetProperty("lastError").GetString());
        await c.WaitForOutputAsync($"Host x (http://127.0.0.1:{portA}) refused the configured login", Settle, cancellationToken: token);
        Assert.True(c.Logged($"Host a (http://127.0.0.1:{portA}) connected"), c.Describe());
        Assert.Equal($"http://127.0.0.1:{portA}", Host(hosts, "a").GetProperty("url").GetString());

        Assert.Equal("[]", await GetTextAsync(c, "/api/brokers", token));
        var all = await WaitForAsync(c, "/api/brokers?scope=all", v => v.GetArrayLength() == 2 && Broker(v, "b", "b1")?.GetProperty("state").GetString() == "slave in sync",
            "both brokers listed", token);
        var master = Broker(all, "a", "b1")!.Value;
        Assert.Equal("master", master.GetProperty("role").GetString());
        Assert.Equal("master protected", master.GetProperty("state").GetString());
        // Today's fields, with host first.
        Assert.Equal(["host", "name", "role", "state", "epoch", "connectors"], master.EnumerateObject().Take(6).Select(p => p.Name));
        Assert.Equal("in sync", master.GetProperty("replication").GetProperty("linkState").GetString());

        var pairs = await WaitForAsync(c, "/api/pairs", p => p.GetArrayLength() == 1, "one pair", token);
        var pair = pairs[0];
        Assert.Equal("pair", pair.GetProperty("kind").GetString());
        Assert.Equal(["a/b1/master", "b/b1/slave"], Members(pair));
        Assert.Equal("in sync", pair.GetProperty("linkState").GetString());

        // Forwarded operator actions: a viewer of C may not; an admin of C may, and B's answer comes back as it is.
        using (var viewer = Client(c, "viewer"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsync("/api/brokers/b1/stop?host=b", null, token)).StatusCode);
        }
        using (var unknownHost = await c.RequestAsync(HttpMethod.Post, "/api/brokers/b1/stop?host=nowhere", token))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknownHost.StatusCode);
        }
        using (var unknownBroker = await c.RequestAsync(HttpMethod.Post, "/api/brokers/nobody/stop?host=b", token))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknownBroker.StatusCode);
            Assert.Contains("no broker named 'nobody' in this process", await unknownBroker.Content.ReadAsStringAsync(token));
        }
        using (var refused = await c.RequestAsync(HttpMethod.Post, "/api/brokers/b1/stop?host=x", token))
        {
            Assert.Equal(HttpStatusCode.BadGateway, refused.StatusCode);
            Assert.Contains("refuses the login configured in Console:Hosts:x", await refused.Content.ReadAsStringAsync(token));
        }
        using (var stop = await c.RequestAsync(HttpMethod.Post, "/api/brokers/b1/stop?host=b", token))
        {
            Assert.Equal(HttpStatusCode.OK, stop.StatusCode);
            Assert.Equal("stopped", JsonDocument.Parse(await stop.Content.ReadAsStringAsync(token)).RootElement.GetProperty("state").GetString());
        }
        await b.WaitForViewAsync(v => Replicas.State(v) == "stopped", Settle, "stopped by C", token);
        await WaitForAsync(c, "/api/brokers?scope=all", v => Broker(v, "b", "b1")?.GetProperty("state").GetString() == "stopped", "B's b1 stopped", token);
        using (var start = await c.RequestAsync(HttpMethod.Post, "/api/brokers/b1/start?host=b", token))
        {
            Assert.Equal(HttpStatusCode.OK, start.StatusCode);
        }
        await Replicas.WaitInSyncAsync(a, b, token);

        // SIGKILL of host A (its master): C shows A unreachable and B's slave promoted, in one pair.
        var clock = Stopwatch.StartNew();
        a.Kill();
        hosts = await WaitForAsync(c, "/api/hosts", h => State(h, "a") == "unreachable", "A unreachable", token);
        var unreachableAfter = clock.Elapsed;
        await c.WaitForOutputAsync($"Host a (http://127.0.0.1:{portA}) unreachable", Settle, cancellationToken: token);
        pairs = await WaitForAsync(c, "/api/pairs", p => p.GetArrayLength() == 1 && Members(p[0])[0] == "b/b1/master", "B's b1 promoted", token);
        var promotedAfter = clock.Elapsed;
        output.WriteLine($"SIGKILL of A -> C shows A unreachable after {unreachableAfter.TotalMilliseconds:0} ms, B's slave promoted after {promotedAfter.TotalMilliseconds:0} ms");
        Assert.True(promotedAfter < TimeSpan.FromSeconds(10), $"C showed the promotion only after {promotedAfter}");
        Assert.Equal(["b/b1/master", "a/b1/master"], Members(pairs[0]));
        Assert.Equal("unreachable", pairs[0].GetProperty("members")[1].GetProperty("hostState").GetString());
        Assert.Equal("b", pairs[0].GetProperty("lastFailover").GetProperty("host").GetString());
        Assert.NotNull(Host(hosts, "a").GetProperty("lastError").GetString());
        // Any route under /api/brokers/{b}/ is forwarded: a send (admin) with its body, a browse (viewer) with its query.
        using (var send = await c.RequestAsync(HttpMethod.Post, "/api/brokers/b1/queues/forwarded%2Fq/messages?host=b", token,
            new { body = "through C", count = 2 }))
        {
            Assert.True(send.StatusCode == HttpStatusCode.OK, $"{send.StatusCode}: {await send.Content.ReadAsStringAsync(token)}");
        }
        using (var viewer = Client(c, "viewer"))
        {
            var browse = JsonDocument.Parse(await viewer.GetStringAsync("/api/brokers/b1/queues/forwarded%2Fq/messages?host=b&limit=1", token)).RootElement;
            Assert.Equal(2, browse.GetProperty("total").GetInt32());
            var id = Uri.EscapeDataString(browse.GetProperty("items")[0].GetProperty("messageId").GetString()!);
            using var download = await viewer.GetAsync($"/api/brokers/b1/queues/forwarded%2Fq/messages/{id}/body?host=b", token);
            Assert.Equal("through C", await download.Content.ReadAsStringAsync(token));
            Assert.Equal("attachment", download.Content.Headers.ContentDisposition?.DispositionType);
            Assert.Equal("nosniff", Assert.Single(download.Headers.GetValues("X-Content-Type-Options")));
            Assert.Equal(HttpStatusCode.Forbidden, (await viewer.DeleteAsync("/api/brokers/b1/queues/forwarded%2Fq/messages?host=b", token)).StatusCode);
        }
        using (var down = await c.RequestAsync(HttpMethod.Post, "/api/brokers/b1/stop?host=a", token))
        {
            Assert.Equal(HttpStatusCode.BadGateway, down.StatusCode);
            Assert.Contains("unreachable", await down.Content.ReadAsStringAsync(token));
        }
        var timeline = JsonDocument.Parse(await GetTextAsync(c, "/api/events?scope=all", token)).RootElement;
        Assert.Contains(timeline.EnumerateArray(), e => e.GetProperty("host").GetString() == "b" && e.GetProperty("kind").GetString() == "Promoted");

        // A back (as the new master's slave): C reconnects to it by itself.
        var newMasterPort = await b.WaitForStompAsync(Replicas.FailoverTimeout, token);
        a.Options = Replicas.SlaveOf(newMasterPort, onA);
        await a.StartAsync(token);
        await WaitForAsync(c, "/api/hosts", h => State(h, "a") == "connected", "A connected again", token);
        await Replicas.WaitInSyncAsync(b, a, token);
        pairs = await WaitForAsync(c, "/api/pairs", p => p.GetArrayLength() == 1 && Members(p[0]).SequenceEqual(["b/b1/master", "a/b1/slave"]),
            "B master, A its slave, one pair", token);

        // And promote the slave on A from C.
        using (var promote = await c.RequestAsync(HttpMethod.Post, "/api/brokers/b1/promote?host=a", token))
        {
            Assert.True(promote.StatusCode == HttpStatusCode.OK, $"{promote.StatusCode}: {await promote.Content.ReadAsStringAsync(token)}");
        }
        await WaitForAsync(c, "/api/brokers?scope=all", v => Broker(v, "a", "b1")?.GetProperty("role").GetString() == "master", "A's b1 promoted", token);
    }

    [Fact]
    public async Task HostWithItsOwnMaster_WatchingTheSlaveHost_ListsBoth_OnePair_LocalScopeUnchanged()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var token = timeout.Token;
        var portB = FreePorts.Next();
        // "slow" accepts connections and never answers: it must time out without holding up B or the API.
        using var silent = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var slowPort = ((IPEndPoint)silent.LocalEndpoint).Port;
        await using var b = BrokerProcess.Create(new BrokerProcessOptions());
        // A watches B before B exists: B down at A's start, then up.
        await using var a = await BrokerProcess.StartAsync(Replicas.Master([.. Watch("b", portB), .. Watch("slow", slowPort), "--Console:ConnectTimeout=00:00:01"]), token);
        var hosts = await WaitForAsync(a, "/api/hosts", h => State(h, "b") == "unreachable" && Host(h, "b").GetProperty("lastError").GetString() != "not connected yet"
            && Host(h, "slow").GetProperty("lastError").GetString() == "no answer within 1 s", "B unreachable, slow timed out", token);
        Assert.Equal("unreachable", State(hosts, "slow"));
        b.Options = Replicas.SlaveOf(a.Port, $"--urls=http://127.0.0.1:{portB}");
        await b.StartAsync(token);
        await Replicas.WaitInSyncAsync(a, b, token);
        await WaitForAsync(a, "/api/hosts", h => State(h, "b") == "connected", "B connected", token);

        var all = await WaitForAsync(a, "/api/brokers?scope=all", v => Broker(v, "b", "b1")?.GetProperty("state").GetString() == "slave in sync", "B's slave", token);
        Assert.Equal(["local/b1", "b/b1"], all.EnumerateArray().Select(v => $"{v.GetProperty("host").GetString()}/{v.GetProperty("name").GetString()}"));
        await WaitForAsync(a, "/api/pairs", p => p.GetArrayLength() == 1 && Members(p[0]).SequenceEqual(["local/b1/master", "b/b1/slave"]), "one pair", token);
        // B's brokers come with their traffic (rates and depth at B's last sample) over the monitor hub.
        var withTraffic = await WaitForAsync(a, "/api/brokers?scope=all", v => Broker(v, "b", "b1")?.GetProperty("traffic").ValueKind == JsonValueKind.Object, "B's traffic", token);
        Assert.Equal(["inRate", "outRate", "depth"], Names(Broker(withTraffic, "b", "b1")!.Value.GetProperty("traffic")));

        // scope=local is today's answer: the same items, no host.
        var plain = JsonDocument.Parse(await GetTextAsync(a, "/api/brokers", token)).RootElement;
        var local = JsonDocument.Parse(await GetTextAsync(a, "/api/brokers?scope=local", token)).RootElement;
        Assert.Equal(Names(plain[0]), Names(local[0]));
        Assert.DoesNotContain("host", Names(local[0]));
        Assert.Equal(Names(plain[0]), Names(Broker(all, "local", "b1")!.Value).Skip(1));
        Assert.Equal(HttpStatusCode.BadRequest, (await a.RequestAsync(HttpMethod.Get, "/api/brokers?scope=everything", token)).StatusCode);
    }

    private static List<string> Names(JsonElement item) => [.. item.EnumerateObject().Select(p => p.Name)];

    private static List<string> Members(JsonElement pair) =>
        [.. pair.GetProperty("members").EnumerateArray().Select(m => $"{m.GetProperty("host").GetString()}/{m.GetProperty("name").GetString()}/{m.GetProperty("role").GetString()}")];

    private static JsonElement Host(JsonElement hosts, string name) => hosts.EnumerateArray().First(h => h.GetProperty("name").GetString() == name);

    private static string? State(JsonElement hosts, string name) =>
        hosts.EnumerateArray().FirstOrDefault(h => h.GetProperty("name").GetString() == name) is { ValueKind: JsonValueKind.Object } h ? h.GetProperty("state").GetString() : null;

    private static JsonElement? Broker(JsonElement brokers, string host, string name) =>
        brokers.EnumerateArray().Where(b => b.GetProperty("host").GetString() == host && b.GetProperty("name").GetString() == name)
            .Select(b => (JsonElement?)b).FirstOrDefault();

    private static HttpClient Client(BrokerProcess host, string user) => new()
    {
        BaseAddress = host.HttpBase,
        Timeout = TimeSpan.FromSeconds(30),
        DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{user}"))) },
    };

    private static async Task<string> GetTextAsync(BrokerProcess host, string path, CancellationToken cancellationToken)
    {
        using var response = await host.RequestAsync(HttpMethod.Get, path, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {response.StatusCode} {text}");
        return text;
    }

    /// <summary>Asks <paramref name="path"/> until <paramref name="condition"/> holds; throws with the last answer and the host's output at the deadline.</summary>
    private static async Task<JsonElement> WaitForAsync(BrokerProcess host, string path, Func<JsonElement, bool> condition, string what, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        string? last = null;
        while (true)
        {
            last = await GetTextAsync(host, path, cancellationToken);
            var answer = JsonDocument.Parse(last).RootElement.Clone();
            if (condition(answer))
            {
                return answer;
            }
            if (deadline.Elapsed > Settle)
            {
                throw new TimeoutException($"not {what} within {Settle.TotalSeconds} s; last {path}: {last}{Environment.NewLine}{host.Describe()}");
            }
            await Task.Delay(50, cancellationToken);
        }
    }
}
