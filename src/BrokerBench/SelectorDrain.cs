using System.Diagnostics;
using System.Globalization;
using Broker.Stomp.Protocol;

namespace BrokerBench;

/// <summary>
/// #13's selector speed: a fresh queue is filled with <c>--count</c> persistent messages (default 100,000), the
/// i-th carrying the header <c>k</c> = i % C, each with a receipt, at most <c>--window</c> receipts outstanding;
/// then C consumers (<c>--consumers</c>, default 100), each on its own connection and subscribed with
/// <c>selector: k = 'n'</c>, drain it, acknowledging every message. The drain is timed from the first SUBSCRIBE to
/// the last new message; every message must arrive once, at the consumer whose selector matches it.
/// </summary>
/// <remarks>
/// Connections are opened before the clock starts, so the figure is dispatch, not connection set-up. The
/// producer's receipt window keeps the fill honest (each message stored before it counts) without paying a
/// round trip per message.
/// </remarks>
public sealed class SelectorDrain
{
    private readonly BenchOptions _o;
    private readonly string _run = Guid.NewGuid().ToString("N")[..12];
    private readonly string _destination;
    private readonly int _consumers;
    private readonly int _prefetch;
    private readonly Verifier _verifier = new();
    private readonly CancellationTokenSource _abort = new();
    private long _misrouted;
    private double? _cpuAtStart;
    private double? _drainCpu;
    private long _start;
    private long _lastReceive;
    private volatile bool _stop;
    private string? _error;

    public SelectorDrain(BenchOptions o)
    {
        _o = o;
        _destination = o.Destination ?? $"/queue/bench.selectors.{_run}";
        _consumers = o.ConsumersGiven ? o.Consumers : 100;
        _prefetch = o.PrefetchGiven ? o.Prefetch : 100;
        if (_consumers < 1)
        {
            throw new ArgumentException("selectors needs at least one consumer");
        }
    }

    private long Count => _o.Count > 0 ? _o.Count : 100_000;

    public async Task<int> ExecuteAsync()
    {
        string server = "";
        double fillSeconds = 0;
        double drainSeconds = 0;
        var consumerTasks = new List<Task>();
        var clients = new List<StompClient>();
        try
        {
            long fillStart = Stopwatch.GetTimestamp();
            server = await FillAsync();
            fillSeconds = Stopwatch.GetElapsedTime(fillStart).TotalSeconds;
            Log($"filled {_destination} with {Count:N0} persistent messages of {_o.Size} B in {fillSeconds:F2} s ({Count / fillSeconds:F0} msg/s)");

            // At most 32 handshakes at a time: our broker refuses a 65th connection from one address that has not
            // logged in yet (Stomp:MaxUnauthenticatedPerAddress).
            for (int first = 0; first < _consumers; first += 32)
            {
                var connecting = Enumerable.Range(first, Math.Min(32, _consumers - first))
                    .Select(_ => StompClient.ConnectAsync(_o, _abort.Token)).ToArray();
                try
                {
                    await Task.WhenAll(connecting);
                }
                finally
                {
                    clients.AddRange(connecting.Where(t => t.IsCompletedSuccessfully).Select(t => t.Result));
                }
            }

            _cpuAtStart = BrokerCpuSeconds();
            _start = Stopwatch.GetTimestamp();
            Interlocked.Exchange(ref _lastReceive, _start);
            for (int n = 0; n < clients.Count; n++)
            {
                int consumer = n;
                consumerTasks.Add(Task.Run(() => ConsumeAsync(clients[consumer], consumer)));
            }
            long idle = (long)(_o.IdleTimeout * Stopwatch.Frequency);
            while (_error is null && _verifier.Unique < Count && Stopwatch.GetTimestamp() - Interlocked.Read(ref _lastReceive) < idle)
            {
                await Task.Delay(5);
            }
            drainSeconds = (Interlocked.Read(ref _lastReceive) - _start) / (double)Stopwatch.Frequency;
            _drainCpu = BrokerCpuSeconds() - _cpuAtStart;
            if (_error is null && _verifier.Unique < Count)
            {
                Console.Error.WriteLine($"consumers idle for {_o.IdleTimeout} s with {Count - _verifier.Unique} of {Count} messages not received; giving up");
            }
            else if (_error is null)
            {
                // Let a stray duplicate show up before we count.
                await Task.Delay(200);
            }
        }
        catch (Exception e)
        {
            Fail(e);
        }
        finally
        {
            _stop = true;
            foreach (var c in clients)
            {
                c.CancelPendingRead();
            }
            try
            {
                await Task.WhenAll(consumerTasks).WaitAsync(TimeSpan.FromSeconds(20));
            }
            catch (Exception e)
            {
                Fail(e);
            }
            foreach (var c in clients)
            {
                await c.DisposeAsync();
            }
        }
        return Report(server, fillSeconds, drainSeconds);
    }

    /// <summary>
    /// The broker's user + system CPU-seconds so far (<c>/proc/PID/stat</c>) when <c>--pid</c> names it: on a shared
    /// machine the CPU a drain costs is steadier than its rate.
    /// </summary>
    private double? BrokerCpuSeconds()
    {
        if (_o.Pid <= 0)
        {
            return null;
        }
        var stat = File.ReadAllText($"/proc/{_o.Pid.ToString(CultureInfo.InvariantCulture)}/stat");
        // Fields after the command name (which may hold spaces) start at ") "; utime and stime are fields 14 and 15.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        const double ticksPerSecond = 100; // USER_HZ on Linux
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / ticksPerSecond;
    }

    private void Log(string text)
    {
        if (_o.Json)
        {
            Console.Error.WriteLine(text);
        }
        else
        {
            Console.WriteLine(text);
        }
    }

    private void Fail(Exception e)
    {
        var text = e is AggregateException a ? string.Join("; ", a.InnerExceptions.Select(x => x.Message)) : e.Message;
        Interlocked.CompareExchange(ref _error, $"{e.GetType().Name}: {text}", null);
        _abort.Cancel();
    }

    /// <summary>One producer; SENDs are written in batches while fewer than <c>--window</c> receipts are outstanding.</summary>
    private async Task<string> FillAsync()
    {
        await using var client = await StompClient.ConnectAsync(_o, _abort.Token);
        var body = new byte[_o.Size];
        for (int i = 0; i < body.Length; i++)
        {
            body[i] = (byte)('a' + i % 26);
        }
        long sent = 0;
        long receipted = 0;
        long count = Count;
        int window = Math.Max(1, _o.Window);
        while (receipted < count)
        {
            while (sent < count && sent - receipted < window && client.Buffered < 64 * 1024)
            {
                string seq = sent.ToString(CultureInfo.InvariantCulture);
                client.Enqueue(new StompFrame("SEND",
                    [
                        new("destination", _destination),
                        new("persistent", "true"),
                        new("receipt", seq),
                        new("k", (sent % _consumers).ToString(CultureInfo.InvariantCulture)),
                        new("bench-run", _run),
                        new("bench-id", "0:" + seq),
                    ],
                    body));
                sent++;
            }
            await client.FlushAsync();
            // Receipts come back in order; take every one already here, waiting only when the window is full.
            do
            {
                var frame = await client.ReadFrameAsync() ?? throw new BenchException("producer connection closed during the fill");
                Receipt(frame);
                while (client.TryReadBuffered(out var more))
                {
                    Receipt(more!);
                }
            }
            while (receipted < count && (sent == count || sent - receipted >= window));
        }
        await client.DisconnectAsync(TimeSpan.FromSeconds(10));
        return client.Server;

        void Receipt(StompFrame frame)
        {
            if (frame.Command == "ERROR")
            {
                throw new BenchException($"ERROR to producer: {frame["message"]} {System.Text.Encoding.UTF8.GetString(frame.Body.Span)}".Trim());
            }
            if (frame.Command != "RECEIPT" || frame["receipt-id"] != receipted.ToString(CultureInfo.InvariantCulture))
            {
                throw new BenchException($"expected RECEIPT {receipted}, got {frame.Command} {frame["receipt-id"]}");
            }
            receipted++;
        }
    }

    private async Task ConsumeAsync(StompClient client, int n)
    {
        bool v12 = client.Version == StompVersion.V1_2;
        try
        {
            client.Enqueue(new StompFrame("SUBSCRIBE",
                ("id", "0"), ("destination", _destination), ("ack", _o.Ack),
                ("selector", $"k = '{n.ToString(CultureInfo.InvariantCulture)}'"),
                ("activemq.prefetchSize", _prefetch.ToString(CultureInfo.InvariantCulture))));
            await client.FlushAsync();
            while (true)
            {
                if (!client.TryReadBuffered(out var frame))
                {
                    await client.FlushAsync();
                    if (_stop)
                    {
                        break;
                    }
                    frame = await client.ReadFrameAsync();
                    if (frame is null)
                    {
                        if (_stop)
                        {
                            break;
                        }
                        throw new BenchException($"consumer {n}: connection closed by the broker");
                    }
                }
                switch (frame!.Command)
                {
                    case "MESSAGE":
                        OnMessage(frame, n);
                        // Every message is acknowledged (with client ack too, so a cumulative ACK never covers
                        // more than the one message).
                        if (_o.Ack != "auto")
                        {
                            client.Enqueue(v12
                                ? new StompFrame("ACK", ("id", frame["ack"] ?? ""))
                                : new StompFrame("ACK", ("message-id", frame["message-id"] ?? ""), ("subscription", "0")));
                        }
                        if (client.Buffered >= 32 * 1024)
                        {
                            await client.FlushAsync();
                        }
                        break;
                    case "ERROR":
                        throw new BenchException($"ERROR to consumer {n}: {frame["message"]} {System.Text.Encoding.UTF8.GetString(frame.Body.Span)}".Trim());
                }
            }
            await client.FlushAsync();
            // Anything still arriving after our last ACK goes back to the queue on DISCONNECT; count it as seen.
            client.Enqueue(new StompFrame("DISCONNECT", ("receipt", "bye")));
            await client.FlushAsync();
            await client.WaitReceiptAsync("bye", f => OnMessage(f, n)).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception e)
        {
            Fail(e);
        }
    }

    private void OnMessage(StompFrame frame, int n)
    {
        if (frame.Command != "MESSAGE")
        {
            return;
        }
        long now = Stopwatch.GetTimestamp();
        string? id = frame["bench-id"];
        if (frame["bench-run"] != _run || id is null || !id.StartsWith("0:", StringComparison.Ordinal)
            || !long.TryParse(id.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out long seq) || seq >= Count)
        {
            _verifier.RecordForeign();
            return;
        }
        // The sequence number decides where a message belongs; the k header it carries must say the same.
        if (seq % _consumers != n || frame["k"] != n.ToString(CultureInfo.InvariantCulture))
        {
            Interlocked.Increment(ref _misrouted);
        }
        if (_verifier.Record(_run, 0, seq))
        {
            long last = Interlocked.Read(ref _lastReceive);
            while (now > last)
            {
                long seen = Interlocked.CompareExchange(ref _lastReceive, now, last);
                if (seen == last)
                {
                    break;
                }
                last = seen;
            }
        }
    }

    private int Report(string server, double fillSeconds, double drainSeconds)
    {
        long unique = _verifier.Unique;
        long missing = _verifier.Missing(_run, [Count]);
        long duplicates = _verifier.Duplicates;
        long misrouted = Interlocked.Read(ref _misrouted);
        bool verified = missing == 0 && duplicates == 0 && misrouted == 0 && _verifier.Foreign == 0;
        double drainRate = drainSeconds > 0 ? unique / drainSeconds : 0;
        var result = new SelectorDrainResult
        {
            Label = _o.Label,
            Server = server,
            Destination = _destination,
            Count = Count,
            Consumers = _consumers,
            Size = _o.Size,
            Prefetch = _prefetch,
            Ack = _o.Ack,
            Window = _o.Window,
            FillSeconds = Math.Round(fillSeconds, 3),
            FillRate = fillSeconds > 0 ? Math.Round(Count / fillSeconds, 1) : 0,
            DrainSeconds = Math.Round(drainSeconds, 3),
            MsgPerSec = Math.Round(drainRate, 1),
            DrainCpuPer100k = _drainCpu is { } cpu && unique > 0 ? Math.Round(cpu * 100_000 / unique, 2) : null,
            Received = _verifier.Received,
            Unique = unique,
            Missing = missing,
            Duplicates = duplicates,
            Misrouted = misrouted,
            Foreign = _verifier.Foreign,
            Verified = verified,
            Error = _error,
        };
        if (_o.Json)
        {
            Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(result, BenchJson.Default.SelectorDrainResult));
        }
        else
        {
            Console.WriteLine($"selectors {_destination} on {_o.Host}:{_o.Port} ({server}): {Count:N0} x {_o.Size} B persistent, {_consumers} consumers with selector k = 'n', prefetch {_prefetch}, ack {_o.Ack}");
            Console.WriteLine($"  fill   {Count,10} in {fillSeconds,7:F2} s = {result.FillRate,10:F0} msg/s (receipt window {_o.Window})");
            Console.WriteLine($"  drain  {unique,10} in {drainSeconds,7:F2} s = {drainRate,10:F0} msg/s"
                + (result.DrainCpuPer100k is { } cpuPer100k ? $", broker {cpuPer100k:F1} CPU-s per 100,000" : ""));
            Console.WriteLine($"  verify: missing {missing}, duplicates {duplicates}, at the wrong consumer {misrouted}, foreign {_verifier.Foreign} -> {(verified ? "OK" : "FAILED")}");
            if (_error is not null)
            {
                Console.WriteLine($"  error: {_error}");
            }
        }
        return _error is not null ? 3 : verified ? 0 : 1;
    }
}

public sealed class SelectorDrainResult
{
    public string Label { get; set; } = "";
    public string Command { get; set; } = "selectors";
    public string Server { get; set; } = "";
    public string Destination { get; set; } = "";
    public long Count { get; set; }
    public int Consumers { get; set; }
    public int Size { get; set; }
    public int Prefetch { get; set; }
    public string Ack { get; set; } = "";
    public int Window { get; set; }
    public double FillSeconds { get; set; }
    public double FillRate { get; set; }
    public double DrainSeconds { get; set; }

    /// <summary>The drain rate: unique messages over the time from the first SUBSCRIBE to the last new message.</summary>
    public double MsgPerSec { get; set; }

    /// <summary>The broker's CPU-seconds (user + system) during the drain per 100,000 messages; with <c>--pid</c> only.</summary>
    public double? DrainCpuPer100k { get; set; }
    public long Received { get; set; }
    public long Unique { get; set; }
    public long Missing { get; set; }
    public long Duplicates { get; set; }

    /// <summary>Messages that reached a consumer whose selector does not match them.</summary>
    public long Misrouted { get; set; }
    public long Foreign { get; set; }
    public bool Verified { get; set; }
    public string? Error { get; set; }
}
