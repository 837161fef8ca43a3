using System.Diagnostics;
using System.Globalization;
using Broker.Stomp.Protocol;

namespace BrokerBench;

/// <summary>
/// Runs producers and consumers against one destination. Every SEND carries <c>bench-run</c>, <c>bench-id</c>
/// (producer:seq) and <c>bench-ts</c> (Stopwatch ticks at send, same process), so consumers measure end-to-end
/// latency and count each (producer, seq) they receive.
/// </summary>
public sealed class LoadRunner
{
    private const int FlushBytes = 32 * 1024;

    private readonly BenchOptions _o;
    private readonly string _mode;
    private readonly string _run = Guid.NewGuid().ToString("N")[..12];
    private readonly string _destination;
    private readonly Verifier _verifier = new();
    private readonly LatencySamples _endToEnd = new();
    private readonly LatencySamples _receipts = new();
    private readonly ReadOnlyMemory<byte> _body;
    private readonly CancellationTokenSource _abort = new();
    private long[] _sent = [];
    private long _start;
    private long _producersEnd;
    private long _lastReceive;
    private volatile bool _stopConsumers;
    private readonly List<StompClient> _consumerClients = [];
    private string? _error;
    private string _server = "";

    /// <summary>The figures of the finished run (also when it failed).</summary>
    public BenchResult? Result { get; private set; }

    /// <summary>Print nothing; the caller reads <see cref="Result"/>.</summary>
    public bool Quiet { get; init; }

    public LoadRunner(BenchOptions o, string mode)
    {
        _o = o;
        _mode = mode;
        _destination = o.Destination ?? (mode == "run"
            ? $"/queue/bench.{_run}"
            : throw new ArgumentException($"{mode} needs --destination"));
        var body = new byte[o.Size];
        for (int i = 0; i < body.Length; i++)
        {
            body[i] = (byte)('a' + i % 26);
        }
        _body = body;
    }

    public async Task<int> ExecuteAsync()
    {
        int producers = _mode == "drain" ? 0 : _o.Producers;
        int consumers = _mode == "fill" ? 0 : _o.Consumers;
        bool persistent = _o.Persistent || _mode == "fill";
        if (_mode is "fill" or "drain" && _o.Count <= 0)
        {
            throw new ArgumentException($"{_mode} needs --count N");
        }
        if (_mode == "run" && _o.Count <= 0 && _o.Duration <= 0)
        {
            throw new ArgumentException("run needs --count N or --duration S");
        }
        _sent = new long[producers];

        var consumerTasks = new List<Task>();
        try
        {
            // Consumers first, each subscribed (with a receipt) before the first message is sent.
            var ready = new List<Task>();
            for (int c = 0; c < consumers; c++)
            {
                var subscribed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                ready.Add(subscribed.Task);
                consumerTasks.Add(Task.Run(() => ConsumeAsync(subscribed)));
            }
            await Task.WhenAll(ready).WaitAsync(TimeSpan.FromSeconds(30));

            _start = Stopwatch.GetTimestamp();
            Interlocked.Exchange(ref _lastReceive, _start);
            var producerTasks = Enumerable.Range(0, producers).Select(p => Task.Run(() => ProduceAsync(p, persistent))).ToArray();
            try
            {
                await Task.WhenAll(producerTasks);
            }
            catch (Exception e)
            {
                Fail(e);
            }
            _producersEnd = Stopwatch.GetTimestamp();

            if (consumers > 0)
            {
                long expected = _mode == "drain" ? _o.Count : _sent.Sum();
                long idle = (long)(_o.IdleTimeout * Stopwatch.Frequency);
                Interlocked.Exchange(ref _lastReceive, Math.Max(Interlocked.Read(ref _lastReceive), _mode == "drain" ? _start : _producersEnd));
                while (_error is null && _verifier.Unique < expected && Stopwatch.GetTimestamp() - Interlocked.Read(ref _lastReceive) < idle
                       && !consumerTasks.All(t => t.IsCompleted))
                {
                    await Task.Delay(5);
                }
                if (_error is null && _verifier.Unique < expected && !consumerTasks.All(t => t.IsCompleted))
                {
                    Console.Error.WriteLine($"consumers idle for {_o.IdleTimeout} s with {expected - _verifier.Unique} of {expected} messages not received; giving up");
                }
                // Let a stray duplicate show up before we count.
                if (_error is null && _verifier.Unique >= expected)
                {
                    await Task.Delay(200);
                }
            }
        }
        catch (Exception e)
        {
            Fail(e);
        }
        finally
        {
            _stopConsumers = true;
            lock (_consumerClients)
            {
                foreach (var c in _consumerClients)
                {
                    c.CancelPendingRead();
                }
            }
            try
            {
                await Task.WhenAll(consumerTasks).WaitAsync(TimeSpan.FromSeconds(15));
            }
            catch (Exception e)
            {
                Fail(e);
            }
        }
        return Report(producers, consumers, persistent);
    }

    private void Fail(Exception e)
    {
        var text = e is AggregateException a ? string.Join("; ", a.InnerExceptions.Select(x => x.Message)) : e.Message;
        Interlocked.CompareExchange(ref _error, $"{e.GetType().Name}: {text}", null);
        _abort.Cancel();
    }

    private async Task ProduceAsync(int p, bool persistent)
    {
        await using var client = await StompClient.ConnectAsync(_o, _abort.Token);
        _server = client.Server;
        long quota = _o.Count > 0 ? _o.Count / _o.Producers + (p < _o.Count % _o.Producers ? 1 : 0) : long.MaxValue;
        long deadline = _o.Duration > 0 ? _start + (long)(_o.Duration * Stopwatch.Frequency) : long.MaxValue;
        double interval = _o.Rate > 0 ? Stopwatch.Frequency * _o.Producers / _o.Rate : 0;
        string pid = p.ToString(CultureInfo.InvariantCulture);
        int tx = _o.Tx;
        long seq = 0;
        string? transaction = null;
        int txNumber = 0;
        var headers = new List<KeyValuePair<string, string>>(8);
        while (seq < quota && !_abort.IsCancellationRequested)
        {
            long now = Stopwatch.GetTimestamp();
            if (now >= deadline)
            {
                break;
            }
            if (interval > 0)
            {
                long due = _start + (long)(seq * interval);
                if (due > now)
                {
                    await client.FlushAsync();
                    var wait = TimeSpan.FromSeconds((double)(due - now) / Stopwatch.Frequency);
                    if (wait.TotalMilliseconds >= 1)
                    {
                        await Task.Delay(wait);
                    }
                    now = Stopwatch.GetTimestamp();
                }
            }
            if (tx > 0 && transaction is null)
            {
                transaction = $"tx-{pid}-{txNumber++}";
                client.Enqueue(new StompFrame("BEGIN", ("transaction", transaction)));
            }
            headers.Clear();
            headers.Add(new("destination", _destination));
            if (persistent)
            {
                headers.Add(new("persistent", "true"));
            }
            string seqText = seq.ToString(CultureInfo.InvariantCulture);
            bool receipt = _o.Receipts && tx == 0;
            if (receipt)
            {
                headers.Add(new("receipt", seqText));
            }
            if (transaction is not null)
            {
                headers.Add(new("transaction", transaction));
            }
            headers.Add(new("bench-run", _run));
            headers.Add(new("bench-id", string.Concat(pid, ":", seqText)));
            long ts = Stopwatch.GetTimestamp();
            headers.Add(new("bench-ts", ts.ToString(CultureInfo.InvariantCulture)));
            client.Enqueue(new StompFrame("SEND", headers.ToArray(), _body));
            seq++;

            if (receipt)
            {
                await client.FlushAsync();
                await client.WaitReceiptAsync(seqText);
                _receipts.Add(Stopwatch.GetTimestamp() - ts);
                _sent[p] = seq;
            }
            else if (transaction is not null && seq % tx == 0)
            {
                await CommitAsync(client, transaction, ts);
                transaction = null;
                _sent[p] = seq;
            }
            else if (interval > 0 || client.Buffered >= FlushBytes)
            {
                await client.FlushAsync();
            }
        }
        if (transaction is not null)
        {
            await CommitAsync(client, transaction, Stopwatch.GetTimestamp());
        }
        // DISCONNECT's receipt comes after everything sent before it was processed (stored, for persistent sends).
        client.Enqueue(new StompFrame("DISCONNECT", ("receipt", "bye")));
        await client.FlushAsync();
        await client.WaitReceiptAsync("bye");
        _sent[p] = seq;
    }

    private async Task CommitAsync(StompClient client, string transaction, long firstTs)
    {
        long t0 = Stopwatch.GetTimestamp();
        client.Enqueue(new StompFrame("COMMIT", ("transaction", transaction), ("receipt", transaction)));
        await client.FlushAsync();
        await client.WaitReceiptAsync(transaction);
        _receipts.Add(Stopwatch.GetTimestamp() - t0);
        _ = firstTs;
    }

    private async Task ConsumeAsync(TaskCompletionSource subscribed)
    {
        StompClient client;
        try
        {
            client = await StompClient.ConnectAsync(_o, _abort.Token);
            _server = client.Server;
            lock (_consumerClients)
            {
                _consumerClients.Add(client);
            }
            client.Enqueue(new StompFrame("SUBSCRIBE",
                ("id", "0"), ("destination", _destination), ("ack", _o.Ack),
                ("activemq.prefetchSize", _o.Prefetch.ToString(CultureInfo.InvariantCulture)), ("receipt", "sub")));
            await client.FlushAsync();
            await client.WaitReceiptAsync("sub");
            subscribed.SetResult();
        }
        catch (Exception e)
        {
            subscribed.TrySetException(e);
            Fail(e);
            return;
        }

        var latencies = new List<long>(1 << 16);
        bool individual = _o.Ack == "client-individual";
        bool acking = _o.Ack != "auto";
        bool v12 = client.Version == StompVersion.V1_2;
        StompFrame? lastUnacked = null;
        int unacked = 0;

        void Ack(StompFrame message)
        {
            client.Enqueue(v12
                ? new StompFrame("ACK", ("id", message["ack"] ?? ""))
                : new StompFrame("ACK", ("message-id", message["message-id"] ?? ""), ("subscription", "0")));
        }

        try
        {
            while (true)
            {
                if (!client.TryReadBuffered(out var frame))
                {
                    if (lastUnacked is not null)
                    {
                        Ack(lastUnacked);
                        lastUnacked = null;
                        unacked = 0;
                    }
                    await client.FlushAsync();
                    if (_stopConsumers)
                    {
                        break;
                    }
                    frame = await client.ReadFrameAsync();
                    if (frame is null)
                    {
                        if (_stopConsumers)
                        {
                            break;
                        }
                        throw new BenchException("consumer connection closed by the broker");
                    }
                }
                switch (frame!.Command)
                {
                    case "MESSAGE":
                        OnMessage(frame, latencies);
                        if (individual)
                        {
                            Ack(frame);
                        }
                        else if (acking)
                        {
                            lastUnacked = frame;
                            if (++unacked >= _o.AckEvery)
                            {
                                Ack(frame);
                                lastUnacked = null;
                                unacked = 0;
                            }
                        }
                        if (client.Buffered >= FlushBytes)
                        {
                            await client.FlushAsync();
                        }
                        break;
                    case "ERROR":
                        throw new BenchException($"ERROR to consumer: {frame["message"]} {System.Text.Encoding.UTF8.GetString(frame.Body.Span)}".Trim());
                    default:
                        break;
                }
            }
            if (lastUnacked is not null)
            {
                Ack(lastUnacked);
            }
            await client.FlushAsync();
            // Anything still arriving after our last ACK goes back to the queue on DISCONNECT; count it as seen.
            client.Enqueue(new StompFrame("DISCONNECT", ("receipt", "bye")));
            await client.FlushAsync();
            await client.WaitReceiptAsync("bye", f => OnMessage(f, latencies)).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception e)
        {
            Fail(e);
        }
        finally
        {
            _endToEnd.AddRange(latencies);
            await client.DisposeAsync();
        }
    }

    private void OnMessage(StompFrame frame, List<long> latencies)
    {
        if (frame.Command != "MESSAGE")
        {
            return;
        }
        long now = Stopwatch.GetTimestamp();
        string? run = frame["bench-run"];
        string? id = frame["bench-id"];
        int colon = id?.IndexOf(':') ?? -1;
        if (run is null || colon <= 0 || (_mode == "run" && run != _run)
            || !int.TryParse(id.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out int producer)
            || !long.TryParse(id.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out long seq))
        {
            _verifier.RecordForeign();
            return;
        }
        _verifier.Record(run, producer, seq);
        if (run == _run && long.TryParse(frame["bench-ts"], NumberStyles.None, CultureInfo.InvariantCulture, out long ts))
        {
            latencies.Add(now - ts);
        }
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

    private int Report(int producers, int consumers, bool persistent)
    {
        double f = Stopwatch.Frequency;
        long sent = _sent.Sum();
        double sendSeconds = producers > 0 ? (_producersEnd - _start) / f : 0;
        double recvSeconds = consumers > 0 ? (Interlocked.Read(ref _lastReceive) - _start) / f : 0;
        long unique = _verifier.Unique;
        double sendRate = sendSeconds > 0 ? sent / sendSeconds : 0;
        double recvRate = recvSeconds > 0 ? unique / recvSeconds : 0;
        double rate = consumers > 0 ? recvRate : sendRate;
        long missing = consumers == 0 ? 0 : _mode == "drain" ? _verifier.MissingOfTotal(_o.Count) : _verifier.Missing(_run, _sent);
        long duplicates = _verifier.Duplicates;
        bool verified = missing == 0 && duplicates == 0;
        var e2e = _endToEnd.PercentilesMs();
        var rc = _receipts.PercentilesMs();
        static double? N(double d) => double.IsNaN(d) ? null : Math.Round(d, 3);

        var result = new BenchResult
        {
            Label = _o.Label,
            Command = _mode,
            Server = _server,
            Destination = _destination,
            Producers = producers,
            Consumers = consumers,
            Size = _o.Size,
            Persistent = persistent,
            Receipts = _o.Receipts,
            Tx = _o.Tx,
            Rate = _o.Rate,
            Sent = sent,
            Received = _verifier.Received,
            Unique = unique,
            SendSeconds = Math.Round(sendSeconds, 3),
            SendRate = Math.Round(sendRate, 1),
            ReceiveSeconds = Math.Round(recvSeconds, 3),
            ReceiveRate = Math.Round(recvRate, 1),
            MsgPerSec = Math.Round(rate, 1),
            MBPerSec = Math.Round(rate * _o.Size / 1e6, 2),
            LatencyP50Ms = N(e2e.P50),
            LatencyP99Ms = N(e2e.P99),
            LatencyMaxMs = N(e2e.Max),
            ReceiptP50Ms = N(rc.P50),
            ReceiptP99Ms = N(rc.P99),
            ReceiptMaxMs = N(rc.Max),
            Missing = missing,
            Duplicates = duplicates,
            Foreign = _verifier.Foreign,
            Verified = verified,
            Error = _error,
        };
        Result = result;
        if (Quiet)
        {
        }
        else if (_o.Json)
        {
            Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(result, BenchJson.Default.BenchResult));
        }
        else
        {
            var mode = $"{(persistent ? "persistent" : "non-persistent")}{(_o.Receipts ? ", receipt per message" : "")}{(_o.Tx > 0 ? $", transactions of {_o.Tx}" : "")}{(_o.Rate > 0 ? $", fixed {_o.Rate} msg/s" : "")}";
            Console.WriteLine($"{_mode} {_destination} on {_o.Host}:{_o.Port} ({_server}): {producers} producer(s), {consumers} consumer(s), {_o.Size} B, {mode}");
            if (producers > 0)
            {
                Console.WriteLine($"  sent      {sent,10} in {sendSeconds,7:F2} s = {sendRate,10:F0} msg/s {sendRate * _o.Size / 1e6,8:F2} MB/s");
            }
            if (consumers > 0)
            {
                Console.WriteLine($"  received  {unique,10} in {recvSeconds,7:F2} s = {recvRate,10:F0} msg/s {recvRate * _o.Size / 1e6,8:F2} MB/s");
                Console.WriteLine($"  end-to-end latency ms  p50 {e2e.P50:F3}  p99 {e2e.P99:F3}  max {e2e.Max:F3}");
            }
            if (_receipts.Count > 0)
            {
                Console.WriteLine($"  receipt latency ms     p50 {rc.P50:F3}  p99 {rc.P99:F3}  max {rc.Max:F3}");
            }
            if (consumers > 0)
            {
                Console.WriteLine($"  verify: missing {missing}, duplicates {duplicates}, foreign {_verifier.Foreign} -> {(verified ? "OK" : "FAILED")}");
            }
            if (_error is not null)
            {
                Console.WriteLine($"  error: {_error}");
            }
        }
        return _error is not null ? 3 : verified ? 0 : 1;
    }
}

public sealed class BenchResult
{
    public string Label { get; set; } = "";
    public string Command { get; set; } = "";
    public string Server { get; set; } = "";
    public string Destination { get; set; } = "";
    public int Producers { get; set; }
    public int Consumers { get; set; }
    public int Size { get; set; }
    public bool Persistent { get; set; }
    public bool Receipts { get; set; }
    public int Tx { get; set; }
    public double Rate { get; set; }
    public long Sent { get; set; }
    public long Received { get; set; }
    public long Unique { get; set; }
    public double SendSeconds { get; set; }
    public double SendRate { get; set; }
    public double ReceiveSeconds { get; set; }
    public double ReceiveRate { get; set; }
    public double MsgPerSec { get; set; }
    public double MBPerSec { get; set; }
    public double? LatencyP50Ms { get; set; }
    public double? LatencyP99Ms { get; set; }
    public double? LatencyMaxMs { get; set; }
    public double? ReceiptP50Ms { get; set; }
    public double? ReceiptP99Ms { get; set; }
    public double? ReceiptMaxMs { get; set; }
    public long Missing { get; set; }
    public long Duplicates { get; set; }
    public long Foreign { get; set; }
    public bool Verified { get; set; }
    public string? Error { get; set; }
}

public sealed class SimpleResult
{
    public string Label { get; set; } = "";
    public string Command { get; set; } = "";
    public double Value { get; set; }
    public string Unit { get; set; } = "";
    public long Operations { get; set; }
    public double Seconds { get; set; }
    public string? Detail { get; set; }
}

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
[System.Text.Json.Serialization.JsonSerializable(typeof(BenchResult))]
[System.Text.Json.Serialization.JsonSerializable(typeof(SimpleResult))]
[System.Text.Json.Serialization.JsonSerializable(typeof(FailoverResult))]
[System.Text.Json.Serialization.JsonSerializable(typeof(PairResult))]
[System.Text.Json.Serialization.JsonSerializable(typeof(SelectorDrainResult))]
public sealed partial class BenchJson : System.Text.Json.Serialization.JsonSerializerContext;
