using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace BrokerBench;

/// <summary>
/// A broker host (BrokerConsole.dll) run as a child process, its console output copied to a file. Every live child
/// is tracked so Ctrl-C, SIGTERM and process exit kill them all.
/// </summary>
public sealed class BrokerProcess : IDisposable
{
    private static readonly List<BrokerProcess> Live = [];
    private static int _hooked;
    private static System.Runtime.InteropServices.PosixSignalRegistration? _sigterm;
    private readonly StreamWriter _log;

    private BrokerProcess(string name, Process process, StreamWriter log)
    {
        Name = name;
        Process = process;
        _log = log;
    }

    public string Name { get; }

    public Process Process { get; }

    public bool HasExited
    {
        get
        {
            try
            {
                return Process.HasExited;
            }
            catch (InvalidOperationException)
            {
                return true;
            }
        }
    }

    public static BrokerProcess Start(string name, HostLocation host, string consoleLog, IEnumerable<string> args)
    {
        HookExit();
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = host.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(host.Dll);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        var log = new StreamWriter(consoleLog, append: false, Encoding.UTF8) { AutoFlush = true };
        var p = new Process { StartInfo = psi };
        p.OutputDataReceived += (_, e) => Write(log, e.Data);
        p.ErrorDataReceived += (_, e) => Write(log, e.Data);
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        var bp = new BrokerProcess(name, p, log);
        lock (Live)
        {
            Live.Add(bp);
        }
        return bp;
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (log)
        {
            try
            {
                log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    /// <summary>SIGKILL (the whole tree); returns at once, the process is reaped in <see cref="Dispose"/>.</summary>
    public void Kill()
    {
        try
        {
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
        }
    }

    public void Dispose()
    {
        Kill();
        try
        {
            Process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
        }
        lock (Live)
        {
            Live.Remove(this);
        }
        lock (_log)
        {
            _log.Dispose();
        }
        Process.Dispose();
    }

    private static readonly List<string> WorkDirs = [];

    /// <summary>A folder to delete when Ctrl-C or SIGTERM stops us (after the children are killed).</summary>
    public static void DeleteOnSignal(string dir)
    {
        lock (WorkDirs)
        {
            WorkDirs.Add(dir);
        }
    }

    private static void OnSignal()
    {
        KillAll();
        BrokerProcess[] all;
        lock (Live)
        {
            all = [.. Live];
        }
        foreach (var p in all)
        {
            try
            {
                p.Process.WaitForExit(3000);
            }
            catch (InvalidOperationException)
            {
            }
        }
        lock (WorkDirs)
        {
            foreach (var d in WorkDirs)
            {
                PairLayout.DeleteDir(d);
            }
        }
    }

    public static void KillAll()
    {
        BrokerProcess[] all;
        lock (Live)
        {
            all = [.. Live];
        }
        foreach (var p in all)
        {
            p.Kill();
        }
    }

    private static void HookExit()
    {
        if (Interlocked.Exchange(ref _hooked, 1) == 1)
        {
            return;
        }
        Console.CancelKeyPress += (_, e) =>
        {
            OnSignal();
            e.Cancel = false;
        };
        _sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, _ => OnSignal());
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();
    }
}

/// <summary>Where the host's dll is and the repository root it runs in (for appsettings.json: users, replication login).</summary>
public sealed record HostLocation(string Dll, string Root)
{
    private const string Relative = "src/BrokerConsole/bin/Release/net10.0/BrokerConsole.dll";

    public static HostLocation Find(string? dll)
    {
        if (dll is not null)
        {
            dll = Path.GetFullPath(dll);
            if (!File.Exists(dll))
            {
                throw new ArgumentException($"--dll {dll}: no such file");
            }
            // <root>/src/BrokerConsole/bin/Release/net10.0/BrokerConsole.dll, else the current directory.
            var up = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(dll)!, "../../../../.."));
            var root = File.Exists(Path.Combine(up, "appsettings.json")) ? up : Directory.GetCurrentDirectory();
            return new HostLocation(dll, root);
        }
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
            {
                var candidate = Path.Combine(d.FullName, Relative);
                if (File.Exists(candidate) && File.Exists(Path.Combine(d.FullName, "appsettings.json")))
                {
                    return new HostLocation(candidate, d.FullName);
                }
            }
        }
        throw new ArgumentException($"cannot find {Relative}; build it (dotnet build -c Release src/BrokerConsole) or pass --dll");
    }
}

/// <summary>A master/slave pair's ports and folders; starts either half, or a lone master.</summary>
public sealed class PairLayout
{
    public PairLayout(string dir)
    {
        Dir = dir;
        var ports = FreePorts(4);
        (MasterHttp, MasterPort, SlaveHttp, SlavePort) = (ports[0], ports[1], ports[2], ports[3]);
    }

    public string Dir { get; }
    public int MasterHttp { get; }
    public int MasterPort { get; }
    public int SlaveHttp { get; }
    public int SlavePort { get; }

    /// <summary>Distinct free ports: bind port 0 on loopback, all held until every one is picked.</summary>
    public static int[] FreePorts(int n)
    {
        var listeners = Enumerable.Range(0, n).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToArray();
        try
        {
            foreach (var l in listeners)
            {
                l.Start();
            }
            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            foreach (var l in listeners)
            {
                l.Stop();
            }
        }
    }

    /// <summary>
    /// How the pair is kept available: <c>replicated</c> (the slave follows the master's port), <c>shared-fs</c> (one
    /// data directory, the OS lock) or <c>database</c> (both name <see cref="ConnectionString"/>, its lease).
    /// </summary>
    public string Mode { get; init; } = "replicated";

    /// <summary>The PostgreSQL database of <c>database</c> mode.</summary>
    public string? ConnectionString { get; init; }

    private bool Replicated => Mode == "replicated";

    /// <summary>The state the waiting half shows once it is ready to take over.</summary>
    public string StandbyReadyState => Replicated ? "slave in sync" : "waiting for lock";

    public BrokerProcess StartMaster(HostLocation host) => BrokerProcess.Start("master", host, Path.Combine(Dir, "master.console.log"),
    [
        $"--urls=http://127.0.0.1:{MasterHttp}",
        "--Brokers:amq1S:Enabled=false",
        $"--Brokers:amq1M:Connectors:0=tcp://127.0.0.1:{MasterPort}",
        $"--Brokers:amq1M:DataDirectory={Path.Combine(Dir, Replicated ? "m" : "shared")}",
        $"--Logging:Directory={Path.Combine(Dir, "lm")}",
        .. HaSettings("amq1M"),
    ]);

    // A shared store's standby is a broker of its own (the default amq1S is a replicating slave).
    private string Standby => Replicated ? "amq1S" : "amq1W";

    public BrokerProcess StartSlave(HostLocation host) => BrokerProcess.Start("slave", host, Path.Combine(Dir, "slave.console.log"),
    [
        $"--urls=http://127.0.0.1:{SlaveHttp}",
        "--Brokers:amq1M:Enabled=false",
        .. Replicated
            ? [$"--Brokers:amq1S:MasterConnectorUri=tcp://127.0.0.1:{MasterPort}"]
            : new[] { "--Brokers:amq1S:Enabled=false" },
        $"--Brokers:{Standby}:Connectors:0=tcp://127.0.0.1:{SlavePort}",
        $"--Brokers:{Standby}:DataDirectory={Path.Combine(Dir, Replicated ? "s" : "shared")}",
        $"--Logging:Directory={Path.Combine(Dir, "ls")}",
        .. HaSettings(Standby),
    ]);

    private string[] HaSettings(string broker) => Mode switch
    {
        "replicated" => [],
        "shared-fs" => [$"--Brokers:{broker}:HaMode=SharedFileSystem"],
        "database" => [$"--Brokers:{broker}:HaMode=Database", $"--ConnectionStrings:{broker}={ConnectionString}"],
        _ => throw new ArgumentException($"--mode: '{Mode}' is not replicated, shared-fs or database"),
    };

    private static readonly HttpClient Http = CreateHttp();

    private static HttpClient CreateHttp()
    {
        var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.ASCII.GetBytes("admin:admin")));
        return http;
    }

    /// <summary>GET /api/brokers on that HTTP port, or null while it does not answer.</summary>
    public static async Task<string?> BrokersAsync(int httpPort)
    {
        try
        {
            return await Http.GetStringAsync($"http://127.0.0.1:{httpPort}/api/brokers");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    /// <summary>Polls /api/brokers until its text contains <paramref name="state"/>.</summary>
    public static async Task WaitForStateAsync(int httpPort, string state, BrokerProcess process, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        string? last = null;
        while (sw.Elapsed < timeout)
        {
            if (process.HasExited)
            {
                throw new BenchException($"{process.Name} exited (code {process.Process.ExitCode}) before \"{state}\"");
            }
            last = await BrokersAsync(httpPort);
            if (last is not null && last.Contains(state, StringComparison.Ordinal))
            {
                return;
            }
            await Task.Delay(50);
        }
        throw new TimeoutException($"{process.Name}: no \"{state}\" within {timeout.TotalSeconds:F0} s; last /api/brokers: {last ?? "(no answer)"}");
    }

    /// <summary>Polls until a TCP connect to the port succeeds.</summary>
    public static async Task WaitForPortAsync(int port, BrokerProcess process, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            if (process.HasExited)
            {
                throw new BenchException($"{process.Name} exited (code {process.Process.ExitCode}) before opening port {port}");
            }
            try
            {
                using var tcp = new TcpClient();
                await tcp.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }
        throw new TimeoutException($"{process.Name}: port {port} not open within {timeout.TotalSeconds:F0} s");
    }

    public static double Median(IReadOnlyList<double> values)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }
        var s = values.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    public static void DeleteDir(string dir)
    {
        for (int i = 0; i < 5; i++)
        {
            try
            {
                if (Directory.Exists(dir))
                {
                    Directory.Delete(dir, recursive: true);
                }
                return;
            }
            catch (IOException)
            {
                Thread.Sleep(200);
            }
            catch (UnauthorizedAccessException)
            {
                Thread.Sleep(200);
            }
        }
    }
}
