using System.Globalization;

namespace BrokerBench;

/// <summary>
/// Persistent throughput with replication: scenarios (b) 1 producer with a receipt per message, 1 consumer, and
/// (c) 8 producers with receipts, 2 consumers, against a lone master (its slave broker disabled) and against the
/// master with its slave attached and in sync (two processes). Every repetition starts fresh brokers in a temp
/// folder; the two set-ups alternate which goes first. Prints medians and replicated/unreplicated.
/// </summary>
public static class PairBench
{
    private static readonly (string Key, string Name, int Producers, int Consumers)[] Scenarios =
    [
        ("b", "(b) persistent, 1 producer, receipt per message, 1 consumer", 1, 1),
        ("c", "(c) persistent, 8 producers with receipts, 2 consumers", 8, 2),
    ];

    public static async Task<int> RunAsync(BenchOptions o)
    {
        if (o.Reps < 1)
        {
            throw new ArgumentException("--reps must be at least 1");
        }
        double duration = o.Duration > 0 ? o.Duration : 5;
        var host = HostLocation.Find(o.Dll);
        var work = Directory.CreateTempSubdirectory("pairbench.").FullName;
        if (!o.Keep)
        {
            BrokerProcess.DeleteOnSignal(work);
        }
        var runs = new Dictionary<(string Scenario, bool Replicated), List<BenchResult>>();
        var problems = new List<string>();
        void Log(string text)
        {
            if (!o.Json)
            {
                Console.WriteLine(text);
            }
            else
            {
                Console.Error.WriteLine(text);
            }
        }
        Log($"pair: {o.Reps} repetitions of {duration} s, host {host.Dll}, work in {work}");
        try
        {
            for (int rep = 1; rep <= o.Reps; rep++)
            {
                bool[] order = rep % 2 == 1 ? [false, true] : [true, false];
                foreach (bool replicated in order)
                {
                    var dir = Path.Combine(work, $"{(replicated ? "replicated" : "lone")}-{rep}");
                    Directory.CreateDirectory(dir);
                    var pair = new PairLayout(dir);
                    BrokerProcess? master = null, slave = null;
                    try
                    {
                        master = pair.StartMaster(host);
                        await PairLayout.WaitForPortAsync(pair.MasterPort, master, TimeSpan.FromSeconds(60));
                        if (replicated)
                        {
                            slave = pair.StartSlave(host);
                            await PairLayout.WaitForStateAsync(pair.SlaveHttp, "slave in sync", slave, TimeSpan.FromSeconds(60));
                            await PairLayout.WaitForStateAsync(pair.MasterHttp, "master protected", master, TimeSpan.FromSeconds(10));
                        }
                        if (o.Warmup > 0)
                        {
                            await RunOneAsync(o, pair.MasterPort, 4, 1, o.Warmup);
                        }
                        foreach (var (key, _, producers, consumers) in Scenarios)
                        {
                            var r = await RunOneAsync(o, pair.MasterPort, producers, consumers, duration);
                            string what = $"rep {rep} {(replicated ? "replicated  " : "unreplicated")} ({key})";
                            if (r.Error is not null || !r.Verified)
                            {
                                problems.Add($"{what}: error {r.Error ?? "none"}, missing {r.Missing}, duplicates {r.Duplicates}");
                            }
                            runs.TryAdd((key, replicated), []);
                            runs[(key, replicated)].Add(r);
                            Log($"{what}: {r.MsgPerSec,8:F0} msg/s, receipt p50 {r.ReceiptP50Ms:F2} ms p99 {r.ReceiptP99Ms:F2} ms{(r.Verified ? "" : " NOT VERIFIED")}");
                        }
                        if (replicated)
                        {
                            var state = await PairLayout.BrokersAsync(pair.MasterHttp) ?? "";
                            if (!state.Contains("master protected", StringComparison.Ordinal))
                            {
                                problems.Add($"rep {rep}: after the runs the master is not \"master protected\" (slave detached?)");
                            }
                        }
                    }
                    catch (Exception e) when (e is BenchException or TimeoutException or IOException or System.Net.Sockets.SocketException)
                    {
                        problems.Add($"rep {rep} {(replicated ? "replicated" : "unreplicated")}: {e.GetType().Name}: {e.Message}");
                        Log($"  FAILED: {e.Message}");
                    }
                    finally
                    {
                        slave?.Dispose();
                        master?.Dispose();
                        if (!o.Keep)
                        {
                            PairLayout.DeleteDir(dir);
                        }
                    }
                }
            }
        }
        finally
        {
            BrokerProcess.KillAll();
            if (!o.Keep)
            {
                PairLayout.DeleteDir(work);
            }
        }

        var result = new PairResult { Label = o.Label, Reps = o.Reps, Seconds = duration, Problems = problems };
        foreach (var (key, name, _, _) in Scenarios)
        {
            List<BenchResult> Get(bool replicated) => runs.GetValueOrDefault((key, replicated)) ?? [];
            var lone = Get(false).Select(r => r.MsgPerSec).ToList();
            var repl = Get(true).Select(r => r.MsgPerSec).ToList();
            double? Med(IEnumerable<double?> v)
            {
                var l = v.Where(x => x is not null).Select(x => x!.Value).ToList();
                return l.Count > 0 ? Math.Round(PairLayout.Median(l), 3) : null;
            }
            double? lm = Med(lone.Select(x => (double?)x)), rm = Med(repl.Select(x => (double?)x));
            result.Rows.Add(new PairRow
            {
                Scenario = key,
                Name = name,
                Unreplicated = lone,
                Replicated = repl,
                UnreplicatedMedian = lm,
                ReplicatedMedian = rm,
                Ratio = lm is > 0 && rm is not null ? Math.Round(rm.Value / lm.Value, 3) : null,
                UnreplicatedReceiptP50Ms = Med(Get(false).Select(r => r.ReceiptP50Ms)),
                ReplicatedReceiptP50Ms = Med(Get(true).Select(r => r.ReceiptP50Ms)),
            });
        }
        if (o.Json)
        {
            Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(result, BenchJson.Default.PairResult));
        }
        else
        {
            static string F(double? v) => v is null ? "–" : v.Value.ToString(v.Value >= 100 ? "N0" : "F2", CultureInfo.InvariantCulture);
            Console.WriteLine();
            Console.WriteLine($"| scenario (medians of {o.Reps} × {duration} s) | unreplicated msg/s | replicated msg/s | replicated/unreplicated | receipt p50 ms unrepl. / repl. |");
            Console.WriteLine("|---|---|---|---|---|");
            foreach (var row in result.Rows)
            {
                Console.WriteLine($"| {row.Name} | {F(row.UnreplicatedMedian)} | {F(row.ReplicatedMedian)} | {(row.Ratio is null ? "–" : $"{row.Ratio:F2}×")} | {F(row.UnreplicatedReceiptP50Ms)} / {F(row.ReplicatedReceiptP50Ms)} |");
            }
            Console.WriteLine();
            foreach (var row in result.Rows)
            {
                Console.WriteLine($"individual runs {row.Scenario}: unreplicated {string.Join(", ", row.Unreplicated.Select(v => v.ToString("F0", CultureInfo.InvariantCulture)))}; " +
                                  $"replicated {string.Join(", ", row.Replicated.Select(v => v.ToString("F0", CultureInfo.InvariantCulture)))}");
            }
            Console.WriteLine(problems.Count == 0 ? "every run verified (each message arrived exactly once), slave in sync throughout" : "problems:\n  " + string.Join("\n  ", problems));
        }
        return problems.Count == 0 ? 0 : 1;
    }

    private static async Task<BenchResult> RunOneAsync(BenchOptions o, int port, int producers, int consumers, double seconds)
    {
        var run = new BenchOptions
        {
            Host = "127.0.0.1",
            Port = port,
            Login = o.Login,
            Passcode = o.Passcode,
            Producers = producers,
            Consumers = consumers,
            Size = o.Size,
            Persistent = true,
            Receipts = true,
            Duration = seconds,
            AckEvery = Math.Max(1, o.Prefetch / 4),
            Prefetch = o.Prefetch,
        };
        var runner = new LoadRunner(run, "run") { Quiet = true };
        await runner.ExecuteAsync();
        return runner.Result ?? throw new BenchException("the run produced no result");
    }
}

public sealed class PairRow
{
    public string Scenario { get; set; } = "";
    public string Name { get; set; } = "";
    public List<double> Unreplicated { get; set; } = [];
    public List<double> Replicated { get; set; } = [];
    public double? UnreplicatedMedian { get; set; }
    public double? ReplicatedMedian { get; set; }
    public double? Ratio { get; set; }
    public double? UnreplicatedReceiptP50Ms { get; set; }
    public double? ReplicatedReceiptP50Ms { get; set; }
}

public sealed class PairResult
{
    public string Label { get; set; } = "";
    public int Reps { get; set; }
    public double Seconds { get; set; }
    public List<PairRow> Rows { get; set; } = [];
    public List<string> Problems { get; set; } = [];
}
