using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using BrokerBench;

BenchOptions o;
try
{
    o = BenchOptions.Parse(args);
}
catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}

try
{
    switch (o.Command)
    {
        case "run" or "fill" or "drain":
            return await new LoadRunner(o, o.Command).ExecuteAsync();
        case "fsync-ceiling":
            return FsyncCeiling.Run(o);
        case "rss":
            return Rss.Run(o);
        case "failover":
            return await FailoverBench.RunAsync(o);
        case "pair":
            return await PairBench.RunAsync(o);
        case "selectors":
            if (o.Ack == "auto")
            {
                throw new ArgumentException("selectors acknowledges every message: --ack client or client-individual");
            }
            return await new SelectorDrain(o).ExecuteAsync();
        case "selector-cost":
            return SelectorCost.Run(o);
        case "scheduled":
            return await ScheduledBench.RunAsync(o);
        case "help":
            Console.WriteLine(BenchOptions.Usage);
            return 0;
        default:
            Console.Error.WriteLine($"unknown command {o.Command}");
            Console.Error.WriteLine(BenchOptions.Usage);
            return 2;
    }
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}
catch (Exception e) when (e is BenchException or IOException or System.Net.Sockets.SocketException or TimeoutException)
{
    Console.Error.WriteLine($"{e.GetType().Name}: {e.Message}");
    return 3;
}

/// <summary>
/// Scenario (e): what one synchronous writer can get from the disk. Appends 4 KiB blocks to a file preallocated
/// (and sized) the way the journal's segments are, calling fdatasync after each. <c>--zero-fill</c> writes the
/// file's blocks first, so the measured writes do not convert unwritten extents.
/// </summary>
internal static partial class FsyncCeiling
{
    [LibraryImport("libc", SetLastError = true)]
    private static partial int fdatasync(nint fd);

    public static int Run(BenchOptions o)
    {
        var dir = o.Dir ?? throw new ArgumentException("fsync-ceiling needs --dir DIR");
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, $"fsync-ceiling-{Environment.ProcessId}.tmp");
        const int block = 4096;
        const long fileSize = 256L * 1024 * 1024;
        var data = new byte[block];
        new Random(42).NextBytes(data);
        long ops = 0;
        double seconds;
        try
        {
            using var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, FileOptions.None, preallocationSize: fileSize);
            RandomAccess.SetLength(handle, fileSize);
            if (o.ZeroFill)
            {
                var zeros = new byte[1024 * 1024];
                for (long at = 0; at < fileSize; at += zeros.Length)
                {
                    RandomAccess.Write(handle, zeros, at);
                }
            }
            Sync(handle);
            long offset = 0;
            var sw = Stopwatch.StartNew();
            long limit = (long)(o.Seconds * Stopwatch.Frequency);
            while (sw.ElapsedTicks < limit)
            {
                RandomAccess.Write(handle, data, offset);
                Sync(handle);
                ops++;
                offset += block;
                if (offset >= fileSize)
                {
                    offset = 0;
                }
            }
            seconds = sw.Elapsed.TotalSeconds;
        }
        finally
        {
            File.Delete(path);
        }
        double rate = ops / seconds;
        if (o.Json)
        {
            Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(
                new SimpleResult { Label = o.Label, Command = "fsync-ceiling", Value = Math.Round(rate, 1), Unit = "ops/s", Operations = ops, Seconds = Math.Round(seconds, 3), Detail = dir },
                BenchJson.Default.SimpleResult));
        }
        else
        {
            Console.WriteLine($"fsync-ceiling in {dir}: {ops} x (4 KiB write + fdatasync) in {seconds:F2} s = {rate:F0} ops/s ({1000 / rate:F3} ms each)");
        }
        return 0;
    }

    private static void Sync(Microsoft.Win32.SafeHandles.SafeFileHandle handle)
    {
        if (!OperatingSystem.IsLinux())
        {
            RandomAccess.FlushToDisk(handle);
            return;
        }
        if (fdatasync(handle.DangerousGetHandle()) != 0)
        {
            throw new IOException($"fdatasync failed: {Marshal.GetLastPInvokeErrorMessage()}");
        }
    }
}

internal static class Rss
{
    public static int Run(BenchOptions o)
    {
        if (o.Pid <= 0)
        {
            throw new ArgumentException("rss needs --pid PID");
        }
        var status = $"/proc/{o.Pid.ToString(CultureInfo.InvariantCulture)}/status";
        if (!File.Exists(status))
        {
            Console.Error.WriteLine($"no process {o.Pid}");
            return 3;
        }
        var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal))
            ?? throw new IOException($"no VmRSS in {status}");
        long kib = long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        double mib = kib / 1024.0;
        if (o.Json)
        {
            Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(
                new SimpleResult { Label = o.Label, Command = "rss", Value = Math.Round(mib, 1), Unit = "MiB", Detail = $"pid {o.Pid}" }, BenchJson.Default.SimpleResult));
        }
        else
        {
            Console.WriteLine($"{mib:F1} MiB resident (pid {o.Pid})");
        }
        return 0;
    }
}
