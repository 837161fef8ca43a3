using System.Globalization;

namespace BrokerBench;

public sealed class BenchOptions
{
    public string Command { get; set; } = "run";
    public string Host { get; set; } = "127.0.0.1";
    public int Port { get; set; } = 61613;
    public string Login { get; set; } = "admin";
    public string Passcode { get; set; } = "admin";
    public string VirtualHost { get; set; } = "localhost";
    public string? Destination { get; set; }
    public int Producers { get; set; } = 1;
    public int Consumers { get; set; } = 1;
    public int Size { get; set; } = 1024;
    public bool Persistent { get; set; }
    public bool Receipts { get; set; }
    public int Tx { get; set; }
    public long Count { get; set; }
    public double Duration { get; set; }
    public int Prefetch { get; set; } = 1000;
    public string Ack { get; set; } = "client";
    public int AckEvery { get; set; }
    public double Rate { get; set; }
    public bool Json { get; set; }
    public double IdleTimeout { get; set; } = 15;
    public string? Dir { get; set; }
    public double Seconds { get; set; } = 5;
    public int Pid { get; set; }
    public bool ZeroFill { get; set; }
    public string Label { get; set; } = "";
    public int Rounds { get; set; } = 20;
    public string? Dll { get; set; }
    public int Reps { get; set; } = 3;
    public double Warmup { get; set; } = 2;
    public bool Keep { get; set; }
    public long MaxDelayMs { get; set; } = 10_000;

    /// <summary>scheduled: a shell command run once every SEND is receipted (a broker restart).</summary>
    public string? RestartCommand { get; set; }

    /// <summary>Receipts a filling producer may have outstanding (<c>selectors</c>).</summary>
    public int Window { get; set; } = 1000;

    /// <summary>Whether <c>--consumers</c> / <c>--prefetch</c> were given, for commands whose defaults differ.</summary>
    public bool ConsumersGiven { get; private set; }

    public bool PrefetchGiven { get; private set; }

    /// <summary>How the pair of <c>failover</c> is kept available: replicated, shared-fs or database.</summary>
    public string Mode { get; set; } = "replicated";

    public const string Usage = """
        BrokerBench: a STOMP load generator that verifies every message arrived exactly once.

        brokerbench run    [connection] [load] (--count N | --duration S)   producers and consumers at once
        brokerbench fill   [connection] [load] --count N                    queue N persistent messages, then exit
        brokerbench drain  [connection] --count N [--consumers M]           consume N messages and verify them
        brokerbench fsync-ceiling --dir DIR [--seconds S] [--zero-fill]    4 KiB write + fdatasync per op, ops/s
        brokerbench rss --pid PID                                           resident memory (VmRSS) in MiB
        brokerbench failover [--rounds N (20)] [--dll HOST.dll] [--keep]    master/slave pair as two processes: SIGKILL the
                    master under persistent receipted traffic; time to the slave accepting STOMP and to the first receipt;
                    --mode replicated (default) | shared-fs (one data directory, the OS lock) | database (a private
                    PostgreSQL started for the run, its lease), each with its default settings
        brokerbench scheduled [connection] [--count N (100000)] [--max-delay MS (10000)] [--persistent] [--rate R]
                    [--restart-command CMD]
                    N SENDs with random AMQ_SCHEDULED_DELAYs up to MS, one consumer: lateness p50/p99/max, early, lost;
                    --rate paces the SENDs at R msg/s (default: as fast as the broker takes them); --restart-command
                    runs CMD (sh -c) once every SEND is receipted, e.g. a SIGKILL and restart of the broker on the same
                    port, then the consumer reconnects: what was due meanwhile must still come
        brokerbench pair [--reps N (3)] [--duration S (5)] [--warmup S (2)] [--dll HOST.dll]
                    scenarios (b) and (c) against a lone master and against a master with its slave in sync; ratio
        brokerbench selector-cost [--count N (10000000)]                    in-process: ns and bytes per selector evaluation
                    (3-term, 1-term and LIKE selectors, on a matching and a non-matching message of six headers)
        brokerbench selectors [connection] [--count N (100000)] [--consumers C (100)] [--prefetch P (100)]
                    [--ack client-individual|client (client)] [--window W (1000)] [--size BYTES (1024)]
                    fill a fresh queue with N persistent messages (receipts, at most W outstanding), the i-th with
                    header k = i % C; then C consumers, each with selector k = 'n', drain it acking every message;
                    drain msg/s from the first SUBSCRIBE to the last message; verifies each arrived once, at its consumer;
                    --pid PID (the broker's): also its CPU-seconds during the drain per 100,000 messages

        connection: --host 127.0.0.1 --port 61613 --login admin --passcode admin --vhost localhost
                    --destination /queue/NAME (default: a fresh /queue/bench.<run> for run; required for fill/drain)
        load:       --producers N (1) --consumers M (1) --size BYTES (1024) --persistent
                    --receipts (wait for a RECEIPT per message) --tx K (transactions of K messages, receipt on COMMIT)
                    --rate MSG_PER_S (fixed total rate; default as fast as possible)
                    --prefetch P (1000, sent as activemq.prefetchSize) --ack auto|client|client-individual (client)
                    --ack-every N (cumulative ACK every N messages; default prefetch/4)
                    --idle-timeout S (15: consumers give up after S seconds without a message)
        output:     --json (one JSON object on stdout) --label TEXT
        exit code:  0 ok, 1 verification failed (missing or duplicate messages), 2 usage, 3 broker/connection error
        """;

    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions();
        int i = 0;
        if (args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal))
        {
            o.Command = args[0];
            i = 1;
        }
        for (; i < args.Length; i++)
        {
            string a = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{a} needs a value");
            int NextInt() => int.Parse(Next(), CultureInfo.InvariantCulture);
            double NextDouble() => double.Parse(Next(), CultureInfo.InvariantCulture);
            switch (a)
            {
                case "--host": o.Host = Next(); break;
                case "--port": o.Port = NextInt(); break;
                case "--login": o.Login = Next(); break;
                case "--passcode": o.Passcode = Next(); break;
                case "--vhost": o.VirtualHost = Next(); break;
                case "--destination": o.Destination = Next(); break;
                case "--producers": o.Producers = NextInt(); break;
                case "--consumers": o.Consumers = NextInt(); o.ConsumersGiven = true; break;
                case "--size": o.Size = NextInt(); break;
                case "--persistent": o.Persistent = true; break;
                case "--receipts": o.Receipts = true; break;
                case "--tx": o.Tx = NextInt(); break;
                case "--count": o.Count = long.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--duration": o.Duration = NextDouble(); break;
                case "--prefetch": o.Prefetch = NextInt(); o.PrefetchGiven = true; break;
                case "--ack": o.Ack = Next(); break;
                case "--ack-every": o.AckEvery = NextInt(); break;
                case "--rate": o.Rate = NextDouble(); break;
                case "--json": o.Json = true; break;
                case "--idle-timeout": o.IdleTimeout = NextDouble(); break;
                case "--dir": o.Dir = Next(); break;
                case "--seconds": o.Seconds = NextDouble(); break;
                case "--pid": o.Pid = NextInt(); break;
                case "--zero-fill": o.ZeroFill = true; break;
                case "--label": o.Label = Next(); break;
                case "--rounds": o.Rounds = NextInt(); break;
                case "--dll": o.Dll = Next(); break;
                case "--reps": o.Reps = NextInt(); break;
                case "--warmup": o.Warmup = NextDouble(); break;
                case "--keep": o.Keep = true; break;
                case "--mode": o.Mode = Next(); break;
                case "--max-delay": o.MaxDelayMs = long.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--restart-command": o.RestartCommand = Next(); break;
                case "--window": o.Window = NextInt(); break;
                case "-h" or "--help": o.Command = "help"; break;
                default: throw new ArgumentException($"unknown option {a}");
            }
        }
        if (o.Ack is not ("auto" or "client" or "client-individual"))
        {
            throw new ArgumentException("--ack must be auto, client or client-individual");
        }
        if (o.Producers < 0 || o.Consumers < 0 || o.Size < 0 || o.Tx < 0 || o.Prefetch < 1 || o.Window < 1)
        {
            throw new ArgumentException("negative producers, consumers, size or tx, or prefetch or window below 1");
        }
        if (o.AckEvery <= 0)
        {
            o.AckEvery = Math.Max(1, o.Prefetch / 4);
        }
        return o;
    }
}
