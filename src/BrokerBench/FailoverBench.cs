using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Broker.Stomp.Protocol;

namespace BrokerBench;

/// <summary>
/// Failover time of a master/slave pair run as two processes. Each round: a fresh pair in a temp folder on free
/// ports; once the slave is in sync, a producer sends persistent messages to the master, one RECEIPT each, and on
/// losing the link tries the master and then the slave every 10 ms and resends its unreceipted message. After a
/// random 200–500 ms of traffic the master is SIGKILLed. Measured from the kill: (i) a TCP connect + STOMP CONNECT
/// to the slave's port succeeds (polled every 5 ms), (ii) the producer's first RECEIPT from the slave. Then the
/// slave's queue is drained to check that every receipted message survived.
/// </summary>
public static class FailoverBench
{
    private static readonly TimeSpan RoundTimeout = TimeSpan.FromSeconds(30);

    public static async Task<int> RunAsync(BenchOptions o)
    {
        if (o.Rounds < 1)
        {
            throw new ArgumentException("--rounds must be at least 1");
        }
        var host = HostLocation.Find(o.Dll);
        var work = Directory.CreateTempSubdirectory("failbench.").FullName;
        if (!o.Keep)
        {
            BrokerProcess.DeleteOnSignal(work);
        }
        var rounds = new List<FailoverRound>();
        if (!o.Json)
        {
            Console.WriteLine($"failover ({o.Mode}): {o.Rounds} rounds, host {host.Dll} (run in {host.Root}), work in {work}");
        }
        // Database mode: a private PostgreSQL for the run (initdb into the work folder, a free port), a database a round.
        await using var postgres = o.Mode == "database" ? await Broker.Testing.PrivatePostgres.StartAsync() : null;
        try
        {
            for (int r = 1; r <= o.Rounds; r++)
            {
                var layout = new PairLayout(Path.Combine(work, $"round-{r}"))
                {
                    Mode = o.Mode,
                    ConnectionString = postgres is null ? null : await postgres.CreateDatabaseAsync($"round{r}"),
                };
                var round = await RoundAsync(host, layout, r, o.Keep);
                rounds.Add(round);
                if (!o.Json)
                {
                    Console.WriteLine(round.Error is not null
                        ? $"round {r,2}: FAILED: {round.Error}"
                        : $"round {r,2}: kill after {round.TrafficMs,4:F0} ms of traffic ({round.ReceiptedBeforeKill,4} receipted); " +
                          $"slave accepts STOMP {round.AcceptMs,7:F1} ms; first receipt from slave {round.ReceiptMs,7:F1} ms; " +
                          $"receipted {round.Receipted}, lost {round.Lost}, duplicates {round.Duplicates}");
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

        var ok = rounds.Where(r => r.Error is null).ToList();
        var accept = ok.Select(r => r.AcceptMs).ToList();
        var receipt = ok.Select(r => r.ReceiptMs).ToList();
        var result = new FailoverResult
        {
            Label = o.Label,
            Rounds = rounds,
            Succeeded = ok.Count,
            AcceptMedianMs = accept.Count > 0 ? Math.Round(PairLayout.Median(accept), 1, MidpointRounding.AwayFromZero) : null,
            AcceptMaxMs = accept.Count > 0 ? Math.Round(accept.Max(), 1, MidpointRounding.AwayFromZero) : null,
            ReceiptMedianMs = receipt.Count > 0 ? Math.Round(PairLayout.Median(receipt), 1, MidpointRounding.AwayFromZero) : null,
            ReceiptMaxMs = receipt.Count > 0 ? Math.Round(receipt.Max(), 1, MidpointRounding.AwayFromZero) : null,
            Lost = ok.Sum(r => r.Lost),
            Duplicates = ok.Sum(r => r.Duplicates),
        };
        if (o.Json)
        {
            Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(result, BenchJson.Default.FailoverResult));
        }
        else
        {
            Console.WriteLine();
            Console.WriteLine($"| failover, SIGKILL of the master → ({ok.Count} of {rounds.Count} rounds) | median ms | max ms |");
            Console.WriteLine("|---|---|---|");
            Console.WriteLine($"| slave accepts a STOMP connection (TCP connect + CONNECTED, polled every 5 ms) | {result.AcceptMedianMs:F1} | {result.AcceptMaxMs:F1} |");
            Console.WriteLine($"| failover producer's first RECEIPT from the slave (retry every 10 ms) | {result.ReceiptMedianMs:F1} | {result.ReceiptMaxMs:F1} |");
            Console.WriteLine();
            Console.WriteLine($"receipted messages lost: {result.Lost}; duplicates (the unreceipted message resent): {result.Duplicates}");
        }
        return ok.Count == rounds.Count && result.Lost == 0 ? 0 : 1;
    }

    private static async Task<FailoverRound> RoundAsync(HostLocation host, PairLayout pair, int number, bool keep)
    {
        Directory.CreateDirectory(pair.Dir);
        var round = new FailoverRound { Round = number };
        BrokerProcess? master = null, slave = null;
        using var stop = new CancellationTokenSource();
        Task? producerTask = null;
        try
        {
            master = pair.StartMaster(host);
            await PairLayout.WaitForPortAsync(pair.MasterPort, master, TimeSpan.FromSeconds(60));
            slave = pair.StartSlave(host);
            await PairLayout.WaitForStateAsync(pair.SlaveHttp, pair.StandbyReadyState, slave, TimeSpan.FromSeconds(60));

            var producer = new FailoverProducer(pair, $"/queue/failover.{number}");
            producerTask = Task.Run(() => producer.RunAsync(stop.Token));
            await producer.FirstReceipt.Task.WaitAsync(TimeSpan.FromSeconds(30));
            long trafficStart = Stopwatch.GetTimestamp();
            await Task.Delay(Random.Shared.Next(200, 501));

            long kill = Stopwatch.GetTimestamp();
            producer.KilledAt = kill;
            master.Kill();
            round.TrafficMs = Math.Round(Ms(kill - trafficStart), 1);
            round.ReceiptedBeforeKill = producer.ReceiptedBeforeKill;

            // (i) the slave's connector: TCP connect + STOMP CONNECT, every 5 ms.
            var probe = new BenchOptions { Port = pair.SlavePort };
            var sw = Stopwatch.StartNew();
            while (true)
            {
                if (sw.Elapsed > RoundTimeout)
                {
                    throw new TimeoutException($"the slave did not accept a STOMP connection within {RoundTimeout.TotalSeconds:F0} s");
                }
                if (slave.HasExited)
                {
                    throw new BenchException($"the slave exited (code {slave.Process.ExitCode})");
                }
                try
                {
                    using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                    await using var c = await StompClient.ConnectAsync(probe, cts.Token);
                    round.AcceptMs = Math.Round(Ms(Stopwatch.GetTimestamp() - kill), 2);
                    await c.DisconnectAsync(TimeSpan.FromSeconds(1));
                    break;
                }
                catch (Exception e) when (e is SocketException or IOException or BenchException or OperationCanceledException)
                {
                    await Task.Delay(5);
                }
            }

            // (ii) the producer's first receipt from the slave.
            long firstFromSlave = await producer.FirstReceiptFromSlave.Task.WaitAsync(RoundTimeout);
            round.ReceiptMs = Math.Round(Ms(firstFromSlave - kill), 2);
            stop.Cancel();
            await producerTask.WaitAsync(TimeSpan.FromSeconds(10));
            round.Receipted = producer.Receipted;

            (round.Lost, round.Duplicates) = await VerifyAsync(pair.SlavePort, producer.Destination, producer.Receipted);
        }
        catch (Exception e)
        {
            round.Error = $"{e.GetType().Name}: {e.Message}";
        }
        finally
        {
            stop.Cancel();
            if (producerTask is not null)
            {
                try
                {
                    await producerTask.WaitAsync(TimeSpan.FromSeconds(10));
                }
                catch (Exception)
                {
                    // Reported through the round's figures, if at all.
                }
            }
            slave?.Dispose();
            master?.Dispose();
            if (!keep || round.Error is null)
            {
                PairLayout.DeleteDir(pair.Dir);
            }
        }
        return round;
    }

    /// <summary>Drains the queue from the slave: receipted sequences (0..receipted-1) missing, and messages seen twice.</summary>
    private static async Task<(long Lost, long Duplicates)> VerifyAsync(int port, string destination, long receipted)
    {
        var seen = new Dictionary<long, int>();
        await using var client = await StompClient.ConnectAsync(new BenchOptions { Port = port }, CancellationToken.None);
        client.Enqueue(new StompFrame("SUBSCRIBE", ("id", "v"), ("destination", destination), ("ack", "auto")));
        await client.FlushAsync();
        var deadline = Stopwatch.StartNew();
        long present = 0;
        TimeSpan? settleUntil = null;
        while (deadline.Elapsed < TimeSpan.FromSeconds(15))
        {
            if (present >= receipted)
            {
                settleUntil ??= deadline.Elapsed + TimeSpan.FromMilliseconds(300);
                if (deadline.Elapsed >= settleUntil)
                {
                    break;
                }
            }
            using var timer = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
            using var reg = timer.Token.Register(client.CancelPendingRead);
            var frame = await client.ReadFrameAsync();
            if (frame is null)
            {
                continue;
            }
            if (frame.Command == "ERROR")
            {
                throw new BenchException($"ERROR while verifying: {frame["message"]}");
            }
            if (frame.Command == "MESSAGE" && long.TryParse(frame["fb-seq"], NumberStyles.None, CultureInfo.InvariantCulture, out long seq))
            {
                seen[seq] = seen.GetValueOrDefault(seq) + 1;
                if (seq < receipted && seen[seq] == 1)
                {
                    present++;
                }
            }
        }
        await client.DisconnectAsync(TimeSpan.FromSeconds(2));
        return (receipted - present, seen.Values.Sum(n => (long)n - 1));
    }

    private static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    /// <summary>One producer, persistent SEND + RECEIPT in a loop; on a dropped link, master then slave every 10 ms.</summary>
    private sealed class FailoverProducer(PairLayout pair, string destination)
    {
        private static readonly byte[] Body = System.Text.Encoding.ASCII.GetBytes(new string('x', 1024));

        public string Destination { get; } = destination;

        public TaskCompletionSource FirstReceipt { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<long> FirstReceiptFromSlave { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public long KilledAt { get; set; }

        public long Receipted => Interlocked.Read(ref _receipted);

        public long ReceiptedBeforeKill { get; private set; }

        private long _receipted;

        public async Task RunAsync(CancellationToken stop)
        {
            StompClient? client = null;
            bool onSlave = false;
            long seq = 0;
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    if (client is null)
                    {
                        (client, onSlave) = await ReconnectAsync(stop);
                        if (client is null)
                        {
                            return;
                        }
                    }
                    string id = seq.ToString(CultureInfo.InvariantCulture);
                    try
                    {
                        client.Enqueue(new StompFrame("SEND",
                            [new("destination", Destination), new("persistent", "true"), new("receipt", id), new("fb-seq", id)], Body));
                        await client.FlushAsync();
                        await client.WaitReceiptAsync(id);
                    }
                    catch (Exception e) when (e is IOException or SocketException or BenchException or ObjectDisposedException)
                    {
                        // The link dropped (or the broker refused): reconnect and resend the same sequence.
                        await client.DisposeAsync();
                        client = null;
                        continue;
                    }
                    long now = Stopwatch.GetTimestamp();
                    seq++;
                    Interlocked.Exchange(ref _receipted, seq);
                    FirstReceipt.TrySetResult();
                    if (KilledAt == 0)
                    {
                        ReceiptedBeforeKill = seq;
                    }
                    if (onSlave)
                    {
                        FirstReceiptFromSlave.TrySetResult(now);
                    }
                }
            }
            finally
            {
                if (client is not null)
                {
                    await client.DisconnectAsync(TimeSpan.FromSeconds(2));
                    await client.DisposeAsync();
                }
                FirstReceipt.TrySetCanceled();
                FirstReceiptFromSlave.TrySetCanceled();
            }
        }

        private async Task<(StompClient?, bool)> ReconnectAsync(CancellationToken stop)
        {
            var master = new BenchOptions { Port = pair.MasterPort };
            var slave = new BenchOptions { Port = pair.SlavePort };
            while (!stop.IsCancellationRequested)
            {
                foreach (var (target, isSlave) in new[] { (master, false), (slave, true) })
                {
                    try
                    {
                        using var cts = CancellationTokenSource.CreateLinkedTokenSource(stop);
                        cts.CancelAfter(TimeSpan.FromSeconds(2));
                        return (await StompClient.ConnectAsync(target, cts.Token), isSlave);
                    }
                    catch (Exception e) when (e is SocketException or IOException or BenchException or OperationCanceledException)
                    {
                    }
                }
                try
                {
                    await Task.Delay(10, stop);
                }
                catch (OperationCanceledException)
                {
                }
            }
            return (null, false);
        }
    }
}

public sealed class FailoverRound
{
    public int Round { get; set; }
    public double TrafficMs { get; set; }
    public long ReceiptedBeforeKill { get; set; }
    public double AcceptMs { get; set; }
    public double ReceiptMs { get; set; }
    public long Receipted { get; set; }
    public long Lost { get; set; }
    public long Duplicates { get; set; }
    public string? Error { get; set; }
}

public sealed class FailoverResult
{
    public string Label { get; set; } = "";
    public List<FailoverRound> Rounds { get; set; } = [];
    public int Succeeded { get; set; }
    public double? AcceptMedianMs { get; set; }
    public double? AcceptMaxMs { get; set; }
    public double? ReceiptMedianMs { get; set; }
    public double? ReceiptMaxMs { get; set; }
    public long Lost { get; set; }
    public long Duplicates { get; set; }
}
