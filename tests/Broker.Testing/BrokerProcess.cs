using System.Diagnostics;
using System.Net.Http.Headers;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Broker.Testing;

/// <summary>How to start a <see cref="BrokerProcess"/>.</summary>
public sealed record BrokerProcessOptions
{
    /// <summary>Extra command-line settings, such as <c>--Brokers:b1:StoreLimit=1048576</c>.</summary>
    public IReadOnlyList<string> Settings { get; init; } = [];

    /// <summary>Another broker's data directory (then this one is not deleted at disposal); default: a folder of our own.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>
    /// Mounts a private tmpfs of this many MiB on the data directory, in a mount namespace of the child's own
    /// (<c>unshare -m</c>; needs root): the broker sees a small disk that fills up.
    /// </summary>
    public int? TmpfsMegabytes { get; init; }

    /// <summary>
    /// A slave (its settings carry <c>MasterConnectorUri</c>): its STOMP connector stays closed until promotion,
    /// so it is ready once its HTTP API listens; <see cref="BrokerProcess.WaitForStompAsync"/> waits for the connector.
    /// </summary>
    public bool Slave { get; init; }

    /// <summary>Environment variables set for the child, such as <c>DOTNET_SYSTEM_IO_DISABLEFILELOCKING</c>.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();
}

/// <summary>
/// The built host (<c>BrokerConsole.dll</c>) as a real child process with broker <c>b1</c>: its own temp folder,
/// a STOMP port picked at the first start (port 0, read back from the log) and kept across restarts, readiness
/// taken from the log line and a TCP connect, <see cref="Kill"/> = SIGKILL. Disposing kills it and deletes the
/// folder. Everything it printed, across every run, is in <see cref="Output"/> for assertion messages.
/// </summary>
public sealed partial class BrokerProcess : IAsyncDisposable
{
    private static readonly TimeSpan DefaultStartTimeout = TimeSpan.FromSeconds(60);
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly StringBuilder _output = new();
    private BrokerProcessOptions _options;
    private Process? _process;
    private TaskCompletionSource<int>? _listening;
    private int _runs;

    private BrokerProcess(BrokerProcessOptions options)
    {
        _options = options;
        Root = Directory.CreateTempSubdirectory("brokerconsole-proc-").FullName;
        DataDirectory = options.DataDirectory ?? Path.Combine(Root, "data", "b1");
        Directory.CreateDirectory(DataDirectory);
    }

    public string Root { get; }

    public string DataDirectory { get; }

    /// <summary>The STOMP port: 0 before the first start, then the same for every restart.</summary>
    public int Port { get; private set; }

    public int ProcessId => _process?.Id ?? 0;

    /// <summary>How the next (re)start runs; change it to restart a former master as a slave, say.</summary>
    public BrokerProcessOptions Options
    {
        get => _options;
        set => _options = value;
    }

    /// <summary>The HTTP API of the current run (<c>http://127.0.0.1:PORT</c>), null before it listens.</summary>
    public Uri? HttpBase { get; private set; }

    /// <summary>How many characters of <see cref="Output"/> there are now: a mark to wait for later lines from.</summary>
    public int OutputLength
    {
        get { lock (_output) { return _output.Length; } }
    }

    public bool HasExited => _process is null || _process.HasExited;

    public int? ExitCode => _process is { HasExited: true } p ? p.ExitCode : null;

    public string Output
    {
        get { lock (_output) { return _output.ToString(); } }
    }

    /// <summary>The host assembly built with the same configuration (Debug or Release) as these tests.</summary>
    public static string HostAssembly { get; } = FindHostAssembly();

    /// <summary>Creates the broker and starts it; throws (with its output) when it does not become ready.</summary>
    public static async Task<BrokerProcess> StartAsync(BrokerProcessOptions? options = null, CancellationToken cancellationToken = default)
    {
        var broker = new BrokerProcess(options ?? new BrokerProcessOptions());
        try
        {
            await broker.StartAsync(cancellationToken);
            return broker;
        }
        catch
        {
            await broker.DisposeAsync();
            throw;
        }
    }

    /// <summary>A broker that is not started yet (for one that is expected to refuse to start).</summary>
    public static BrokerProcess Create(BrokerProcessOptions? options = null) => new(options ?? new BrokerProcessOptions());

    /// <summary>(Re)starts on the same data directory and port and waits until it accepts connections.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (!await TryStartAsync(cancellationToken))
        {
            throw new InvalidOperationException($"the broker exited with code {ExitCode} before it was ready{Environment.NewLine}{Describe()}");
        }
    }

    /// <summary>True once ready; false when the process exited first (see <see cref="ExitCode"/>). Throws on timeout.</summary>
    public async Task<bool> TryStartAsync(CancellationToken cancellationToken = default)
    {
        if (!HasExited)
        {
            throw new InvalidOperationException("the broker is already running");
        }
        _process?.Dispose();
        var listening = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        _listening = listening;
        HttpBase = null;
        var process = new Process { StartInfo = CreateStartInfo() };
        process.OutputDataReceived += (_, e) => OnLine(listening, e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(listening, e.Data);
        process.Start();
        _process = process;
        Append($"=== run {++_runs}: pid {process.Id}: {string.Join(' ', process.StartInfo.ArgumentList.Prepend(process.StartInfo.FileName))}");
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(DefaultStartTimeout);
        try
        {
            var exited = process.WaitForExitAsync(deadline.Token);
            if (_options.Slave)
            {
                // Its connector opens at promotion only: ready once the HTTP API answers.
                while (HttpBase is null)
                {
                    if (process.HasExited)
                    {
                        await exited;
                        return false;
                    }
                    await Task.Delay(20, deadline.Token);
                }
                return !process.HasExited;
            }
            var first = await Task.WhenAny(listening.Task, exited);
            if (first == exited)
            {
                await exited;
                return false;
            }
            var port = await listening.Task;
            Port = port;
            await WaitForConnectorAsync(port, process, deadline.Token);
            return !process.HasExited;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Kill();
            throw new TimeoutException($"the broker was not ready within {DefaultStartTimeout.TotalSeconds} s{Environment.NewLine}{Describe()}");
        }
    }

    /// <summary>SIGKILL (the whole tree), then waits until the process is gone.</summary>
    public void Kill()
    {
        if (_process is not { } process)
        {
            return;
        }
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                Append($"=== SIGKILL pid {process.Id}");
            }
        }
        catch (InvalidOperationException)
        {
            // Exited meanwhile.
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // Exiting right now.
        }
        process.WaitForExit(TimeSpan.FromSeconds(10));
    }

    /// <summary>Waits for the process to exit by itself and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(CancellationToken cancellationToken)
    {
        var process = _process ?? throw new InvalidOperationException("never started");
        await process.WaitForExitAsync(cancellationToken);
        return process.ExitCode;
    }

    /// <summary>For assertion messages: the folders, state and everything printed.</summary>
    public string Describe() =>
        $"broker process: data {DataDirectory}, port {Port}, pid {ProcessId}, {(HasExited ? $"exited ({ExitCode})" : "running")}{Environment.NewLine}--- output ---{Environment.NewLine}{Output}";

    public async ValueTask DisposeAsync()
    {
        Kill();
        if (_process is { } process)
        {
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                // A pipe still held open; nothing more to read.
            }
            process.Dispose();
        }
        try
        {
            // Our folder only: a data directory borrowed from another broker lives elsewhere.
            Directory.Delete(Root, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The OS cleans temp folders.
        }
    }

    private ProcessStartInfo CreateStartInfo()
    {
        List<string> arguments =
        [
            HostAssembly,
            "--urls=http://127.0.0.1:0",
            // The appsettings.json beside the assembly defines the amq1M/amq1S pair on well-known ports: not here.
            "--Brokers:amq1M:Enabled=false",
            "--Brokers:amq1S:Enabled=false",
            $"--Brokers:b1:Connectors:0=tcp://127.0.0.1:{Port}",
            $"--Brokers:b1:DataDirectory={DataDirectory}",
            "--Security:Users:admin:Password=admin", "--Security:Users:admin:Roles:0=admin",
            $"--Logging:Directory={Path.Combine(Root, "logs")}",
            .. _options.Settings,
        ];
        var dotnet = DotnetHost();
        var info = _options.TmpfsMegabytes is { } megabytes
            ? new ProcessStartInfo("unshare")
            {
                ArgumentList =
                {
                    "-m", "--propagation", "private", "sh", "-c",
                    $"mount -t tmpfs -o size={megabytes}m tmpfs \"$0\" && exec \"$@\"",
                    DataDirectory, dotnet,
                },
            }
            : new ProcessStartInfo(dotnet);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        info.UseShellExecute = false;
        info.RedirectStandardInput = true;
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.StandardOutputEncoding = Encoding.UTF8;
        info.StandardErrorEncoding = Encoding.UTF8;
        info.WorkingDirectory = Root;
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment.Remove("DOTNET_RUNNING_IN_CONTAINER");
        foreach (var (name, value) in _options.Environment)
        {
            info.Environment[name] = value;
        }
        return info;
    }

    private void OnLine(TaskCompletionSource<int> listening, string? line)
    {
        if (line is null)
        {
            return;
        }
        if (ListeningLine().Match(line) is { Success: true } match)
        {
            var port = int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            // Also later in a run: a slave's connector opens (on a port of its own choosing) when it is promoted.
            Port = port;
            listening.TrySetResult(port);
        }
        if (HttpLine().Match(line) is { Success: true } http)
        {
            HttpBase = new Uri(http.Groups[1].Value);
        }
        Append(line);
    }

    private void Append(string line)
    {
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    private static async Task WaitForConnectorAsync(int port, Process process, CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (process.HasExited)
            {
                return;
            }
            try
            {
                using var probe = new System.Net.Sockets.TcpClient();
                await probe.ConnectAsync("127.0.0.1", port, cancellationToken);
                return;
            }
            catch (System.Net.Sockets.SocketException)
            {
                await Task.Delay(20, cancellationToken);
            }
        }
    }

    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host
        : Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path
        : "dotnet";

    private static string FindHostAssembly()
    {
        var configuration = typeof(BrokerProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "BrokerConsole.sln")))
            {
                var built = Path.Combine(directory.FullName, "src", "BrokerConsole", "bin", configuration, "net10.0", "BrokerConsole.dll");
                if (File.Exists(built))
                {
                    return built;
                }
                break;
            }
        }
        var beside = Path.Combine(AppContext.BaseDirectory, "BrokerConsole.dll");
        return File.Exists(beside) && File.Exists(Path.Combine(AppContext.BaseDirectory, "BrokerConsole.runtimeconfig.json"))
            ? beside
            : throw new FileNotFoundException($"BrokerConsole.dll ({configuration}) not found above {AppContext.BaseDirectory}; build the solution first");
    }

    /// <summary>Waits until <paramref name="text"/> appears in the output after <paramref name="since"/> (an <see cref="OutputLength"/> mark).</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan timeout, int since = 0, CancellationToken cancellationToken = default)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var output = Output;
            if (output.IndexOf(text, Math.Min(since, output.Length), StringComparison.Ordinal) >= 0)
            {
                return;
            }
            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"'{text}' not logged within {timeout.TotalSeconds:0.#} s{Environment.NewLine}{Describe()}");
            }
            await Task.Delay(25, cancellationToken);
        }
    }

    /// <summary>True when <paramref name="text"/> appears in the output after the mark <paramref name="since"/>.</summary>
    public bool Logged(string text, int since = 0)
    {
        var output = Output;
        return output.IndexOf(text, Math.Min(since, output.Length), StringComparison.Ordinal) >= 0;
    }

    /// <summary><c>GET /api/brokers/b1</c> as admin.</summary>
    public async Task<JsonElement> GetViewAsync(CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(HttpMethod.Get, "/api/brokers/b1", cancellationToken);
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken)).RootElement.Clone();
    }

    /// <summary>An operator action, <c>POST /api/brokers/b1/{action}</c> as admin (switchover, promote, stop, start); the caller reads the answer.</summary>
    public Task<HttpResponseMessage> ActAsync(string action, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"/api/brokers/b1/{action}", cancellationToken);

    /// <summary>Any request to the HTTP API as admin (<paramref name="path"/> such as <c>/api/brokers/b1/set-aside</c>); the caller reads the answer.</summary>
    public Task<HttpResponseMessage> RequestAsync(HttpMethod method, string path, CancellationToken cancellationToken = default) =>
        SendAsync(method, path, cancellationToken);

    /// <summary>As <see cref="RequestAsync(HttpMethod, string, CancellationToken)"/>, with <paramref name="json"/> as the JSON body.</summary>
    public Task<HttpResponseMessage> RequestAsync(HttpMethod method, string path, CancellationToken cancellationToken, object json) =>
        SendAsync(method, path, cancellationToken, json);

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, CancellationToken cancellationToken, object? json = null)
    {
        // A master is ready once its STOMP connector listens; Kestrel may log its address a moment later.
        var wait = Stopwatch.StartNew();
        while (HttpBase is null && !HasExited && wait.Elapsed < DefaultStartTimeout)
        {
            await Task.Delay(20, cancellationToken);
        }
        var address = HttpBase ?? throw new InvalidOperationException($"the HTTP API is not listening{Environment.NewLine}{Describe()}");
        using var request = new HttpRequestMessage(method, new Uri(address, path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:admin")));
        if (json is not null)
        {
            request.Content = System.Net.Http.Json.JsonContent.Create(json);
        }
        return await Http.SendAsync(request, cancellationToken);
    }

    /// <summary>Polls the API until <paramref name="condition"/> holds; throws with the last view and the output on timeout.</summary>
    public async Task<JsonElement> WaitForViewAsync(Func<JsonElement, bool> condition, TimeSpan timeout, string what, CancellationToken cancellationToken = default)
    {
        var deadline = Stopwatch.StartNew();
        JsonElement? last = null;
        while (true)
        {
            if (HasExited)
            {
                throw new InvalidOperationException($"waiting for {what}: the broker exited{Environment.NewLine}{Describe()}");
            }
            try
            {
                var view = await GetViewAsync(cancellationToken);
                last = view;
                if (condition(view))
                {
                    return view;
                }
            }
            catch (HttpRequestException)
            {
                // Starting or stopping: ask again.
            }
            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"not {what} within {timeout.TotalSeconds:0.#} s; last view: {last}{Environment.NewLine}{Describe()}");
            }
            await Task.Delay(50, cancellationToken);
        }
    }

    /// <summary>Waits until the STOMP connector (opened by a promotion, say) accepts a CONNECT; returns the port.</summary>
    public async Task<int> WaitForStompAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var deadline = Stopwatch.StartNew();
        string? lastError = null;
        while (deadline.Elapsed < timeout)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Port > 0 && !HasExited)
            {
                try
                {
                    await using var client = await StompTestClient.ConnectTcpAsync(Port);
                    var reply = await client.ConnectAsync("admin");
                    if (reply.Command == "CONNECTED")
                    {
                        return Port;
                    }
                    lastError = reply.Command + " " + reply["message"];
                }
                catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException or EndOfStreamException or OperationCanceledException)
                {
                    lastError = e.Message;
                }
            }
            await Task.Delay(10, cancellationToken);
        }
        throw new TimeoutException($"STOMP CONNECT not accepted within {timeout.TotalSeconds:0.#} s (last: {lastError}){Environment.NewLine}{Describe()}");
    }

    [GeneratedRegex(@"Listening for connections at: tcp://[^\s]*:(\d+)")]
    private static partial Regex ListeningLine();

    [GeneratedRegex(@"Now listening on: (http://[^\s]+)")]
    private static partial Regex HttpLine();
}
