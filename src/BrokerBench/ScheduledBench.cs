using System.Diagnostics;
using System.Globalization;
using System.Text;
using Broker.Stomp.Protocol;

namespace BrokerBench;

/// <summary>
/// Scheduled delivery's precision: N messages with random <c>AMQ_SCHEDULED_DELAY</c>s up to D ms, one consumer. A
/// message's due time is taken as the moment its batch was written plus its delay (the broker starts the delay a little
/// later, when it reads the SEND, so lateness is an upper bound). Prints lateness p50/p99/max, how many came early
/// (before that bound minus 1 ms: a bug), duplicates and how many never came (lost).
/// </summary>
internal static class ScheduledBench
{
    private const int Batch = 500;

    public static async Task<int> RunAsync(BenchOptions o)
    {
        var count = o.Count > 0 ? (int)o.Count : 100_000;
        var maxDelay = o.MaxDelayMs;
        var destination = o.Destination ?? $"/queue/bench.scheduled.{Guid.NewGuid().ToString("N")[..8]}";
        var random = new Random(42);
        var delays = new long[count];
        for (var i = 0; i < count; i++)
        {
            delays[i] = random.NextInt64(0, maxDelay + 1);
        }
        // Stopwatch ticks at which each message is due (set as its batch goes out); 0 until sent.
        var due = new long[count];
        var seen = new bool[count];
        var lateness = new LatencySamples();
        // Those due once every SEND was receipted (broker's view): the scheduler alone, without the sending burst beside it.
        var latenessAfterBurst = new LatencySamples();
        long burstEnd = long.MaxValue;
        // From the broker's side: arrival (wall clock) - (the message's timestamp, when the broker accepted it, + delay).
        var brokerLateness = new LatencySamples();
        long received = 0, duplicates = 0, early = 0;
        var allReceived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var abort = new CancellationTokenSource();

        long restartedAt = long.MaxValue;
        // Those due once the broker was back after --restart-command: its recovered scheduler alone.
        var latenessAfterRestart = new LatencySamples();
        var lastArrival = Stopwatch.GetTimestamp();

        async Task ReceiveAsync(StompClient consumer)
        {
            while (await consumer.ReadFrameAsync() is { } frame)
            {
                var now = Stopwatch.GetTimestamp();
                if (frame.Command == "ERROR")
                {
                    throw new BenchException($"ERROR from broker: {frame["message"]}");
                }
                if (frame.Command != "MESSAGE")
                {
                    continue;
                }
                Volatile.Write(ref lastArrival, now);
                var index = int.Parse(Encoding.ASCII.GetString(frame.Body.Span), CultureInfo.InvariantCulture);
                if (seen[index])
                {
                    duplicates++;
                    continue;
                }
                seen[index] = true;
                var late = now - Volatile.Read(ref due[index]);
                if (late < -Stopwatch.Frequency / 1000)
                {
                    early++;
                }
                lateness.Add(Math.Max(0, late));
                if (long.TryParse(frame["timestamp"], CultureInfo.InvariantCulture, out var accepted))
                {
                    var lateTicks = Math.Max(0, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - (accepted + delays[index])) * Stopwatch.Frequency / 1000;
                    brokerLateness.Add(lateTicks);
                    if (Volatile.Read(ref due[index]) > Volatile.Read(ref burstEnd))
                    {
                        latenessAfterBurst.Add(lateTicks);
                    }
                    if (Volatile.Read(ref due[index]) > Volatile.Read(ref restartedAt))
                    {
                        latenessAfterRestart.Add(lateTicks);
                    }
                }
                if (++received == count)
                {
                    allReceived.TrySetResult();
                }
            }
        }

        async Task<StompClient> SubscribeAsync()
        {
            var consumer = await StompClient.ConnectAsync(o, abort.Token);
            consumer.Enqueue(new StompFrame("SUBSCRIBE", ("id", "0"), ("destination", destination), ("ack", "auto"),
                ("activemq.prefetchSize", o.Prefetch.ToString(CultureInfo.InvariantCulture)), ("receipt", "sub")));
            await consumer.FlushAsync();
            await consumer.WaitReceiptAsync("sub");
            return consumer;
        }

        var consumer = await SubscribeAsync();
        var reading = Task.Run(() => ReceiveAsync(consumer));

        var producer = await StompClient.ConnectAsync(o, abort.Token);
        var sending = Stopwatch.StartNew();
        // Paced: a batch every 10 ms at the asked rate; else batches of 500 as fast as the broker takes them.
        var batch = o.Rate > 0 ? Math.Max(1, (int)(o.Rate / 100)) : Batch;
        for (var start = 0; start < count; start += batch)
        {
            if (o.Rate > 0 && TimeSpan.FromSeconds(start / o.Rate) - sending.Elapsed is { TotalMilliseconds: > 1 } ahead)
            {
                await Task.Delay(ahead);
            }
            var end = Math.Min(count, start + batch);
            for (var i = start; i < end; i++)
            {
                var headers = new List<(string, string)>
                {
                    ("destination", destination),
                    ("AMQ_SCHEDULED_DELAY", delays[i].ToString(CultureInfo.InvariantCulture)),
                };
                if (o.Persistent)
                {
                    headers.Add(("persistent", "true"));
                }
                if (i == count - 1)
                {
                    headers.Add(("receipt", "last"));
                }
                producer.Enqueue(new StompFrame("SEND", headers.Select(h => KeyValuePair.Create(h.Item1, h.Item2)).ToArray(),
                    Encoding.ASCII.GetBytes(i.ToString(CultureInfo.InvariantCulture))));
            }
            var written = Stopwatch.GetTimestamp();
            for (var i = start; i < end; i++)
            {
                Volatile.Write(ref due[i], written + (delays[i] * Stopwatch.Frequency / 1000));
            }
            await producer.FlushAsync();
        }
        await producer.WaitReceiptAsync("last");
        Volatile.Write(ref burstEnd, Stopwatch.GetTimestamp());
        var sendSeconds = sending.Elapsed.TotalSeconds;
        if (o.RestartCommand is { } restart)
        {
            using (var shell = Process.Start("/bin/sh", ["-c", restart]))
            {
                await shell.WaitForExitAsync();
                if (shell.ExitCode != 0)
                {
                    throw new BenchException($"--restart-command exited with {shell.ExitCode}");
                }
            }
            // The old consumer's connection died with the broker: its reader ends; a new one takes over.
            await Task.WhenAny(reading, Task.Delay(TimeSpan.FromSeconds(5)));
            await consumer.DisposeAsync();
            await producer.DisposeAsync();
            Volatile.Write(ref restartedAt, Stopwatch.GetTimestamp());
            consumer = await SubscribeAsync();
            reading = Task.Run(() => ReceiveAsync(consumer));
            producer = await StompClient.ConnectAsync(o, abort.Token);
            Console.WriteLine($"restarted with `{restart}`: {received} received before, {count - received} to come");
        }

        // Done when every message came, or none came for the idle timeout once the last one was due.
        var lastDue = TimeSpan.FromMilliseconds(maxDelay) - sending.Elapsed + TimeSpan.FromSeconds(o.IdleTimeout);
        var deadline = Stopwatch.GetTimestamp() + (long)(Math.Max(lastDue.TotalSeconds, o.IdleTimeout) * Stopwatch.Frequency);
        while (!allReceived.Task.IsCompleted && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.WhenAny(allReceived.Task, reading, Task.Delay(200));
            if (reading.IsFaulted)
            {
                await reading;
            }
        }
        await producer.DisconnectAsync(TimeSpan.FromSeconds(2));
        await producer.DisposeAsync();
        // The reading task owns the consumer's reads: wake it (ReadFrameAsync returns null) rather than read a receipt beside it.
        consumer.CancelPendingRead();
        await reading.WaitAsync(TimeSpan.FromSeconds(5));
        await consumer.DisposeAsync();

        var (p50, p99, max) = lateness.PercentilesMs();
        var lost = count - received;
        Console.WriteLine($"scheduled: {count} messages, delays 0..{maxDelay} ms, {(o.Persistent ? "persistent" : "non-persistent")}, sent in {sendSeconds:F2} s, one consumer on {destination}");
        Console.WriteLine($"lateness (arrival - (batch written + delay)): p50 {p50:F1} ms, p99 {p99:F1} ms, max {max:F1} ms; early {early}; duplicates {duplicates}; lost {lost}");
        var (b50, b99, bmax) = brokerLateness.PercentilesMs();
        Console.WriteLine($"  from the broker's acceptance (timestamp header, ms precision): p50 {b50:F1} ms, p99 {b99:F1} ms, max {bmax:F1} ms");
        var (a50, a99, amax) = latenessAfterBurst.PercentilesMs();
        Console.WriteLine($"  from the broker's acceptance, of the {latenessAfterBurst.Count} due after the last SEND was receipted: p50 {a50:F1} ms, p99 {a99:F1} ms, max {amax:F1} ms");
        if (o.RestartCommand is not null)
        {
            var (r50, r99, rmax) = latenessAfterRestart.PercentilesMs();
            Console.WriteLine($"  of the {latenessAfterRestart.Count} due after the restart: p50 {r50:F1} ms, p99 {r99:F1} ms, max {rmax:F1} ms");
        }
        return lost == 0 && duplicates == 0 && early == 0 ? 0 : 1;
    }
}
