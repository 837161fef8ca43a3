using System.Diagnostics;

namespace Broker.Testing;

/// <summary>
/// A PostgreSQL server of the test's own: Debian's <c>initdb</c> into a temporary folder (as the <c>postgres</c> user
/// when the tests run as root: initdb refuses root), <c>pg_ctl start</c> on a free port on 127.0.0.1 with its socket
/// in that folder, stopped (immediate) and deleted on dispose. Never the system's cluster.
/// </summary>
public sealed class PrivatePostgres : IAsyncDisposable
{
    private static readonly bool AsRoot = Environment.UserName == "root";
    private readonly string _folder;
    private bool _disposed;

    private PrivatePostgres(string folder, string bin, int port)
    {
        _folder = folder;
        Bin = bin;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The folder of the server's binaries (<c>/usr/lib/postgresql/N/bin</c>).</summary>
    public string Bin { get; }

    /// <summary>The superuser's connection string to <paramref name="database"/> (trust authentication, no password).</summary>
    public string ConnectionString(string database = "postgres") =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Pooling=false;Timeout=5";

    public string DataDirectory => Path.Combine(_folder, "data");

    public static async Task<PrivatePostgres> StartAsync()
    {
        var bin = FindBin();
        var folder = Path.Combine(Path.GetTempPath(), "pg-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var server = new PrivatePostgres(folder, bin, FreePorts.Next());
        try
        {
            if (AsRoot)
            {
                await RunAsync("chown", $"postgres {folder}");
            }
            await server.PgAsync("initdb", $"-D {server.DataDirectory} -A trust -U postgres --no-sync -E UTF8 --locale=C.UTF-8");
            await server.StartAgainAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the server (again, after <see cref="StopAsync"/>) and waits until it takes connections.</summary>
    public Task StartAgainAsync() =>
        PgAsync("pg_ctl", $"-D {DataDirectory} -l {Path.Combine(_folder, "server.log")} -w -t 30 " +
            $"-o \"-p {Port} -k {_folder} -c listen_addresses=127.0.0.1 -c max_connections=200\" start");

    /// <summary>Stops the server at once, as a crash would (the database is down until <see cref="StartAgainAsync"/>).</summary>
    public Task StopAsync() => PgAsync("pg_ctl", $"-D {DataDirectory} -m immediate -w stop");

    private int _databases;

    /// <summary>Creates an empty database of a name of its own (db1, db2, ...) and returns its connection string.</summary>
    public Task<string> CreateDatabaseAsync() => CreateDatabaseAsync($"db{Interlocked.Increment(ref _databases)}");

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string name)
    {
        await PgAsync("createdb", $"-h 127.0.0.1 -p {Port} -U postgres {name}");
        return ConnectionString(name);
    }

    /// <summary>Runs one SQL statement in <paramref name="database"/> with psql (as the server's superuser).</summary>
    public Task ExecuteAsync(string database, string sql) =>
        PgAsync("psql", $"-h 127.0.0.1 -p {Port} -U postgres -d {database} -v ON_ERROR_STOP=1 -c \"{sql.Replace("\"", "\\\"", StringComparison.Ordinal)}\"");

    /// <summary>What the server logged (for a failing test's message).</summary>
    public string Log()
    {
        var path = Path.Combine(_folder, "server.log");
        return File.Exists(path) ? File.ReadAllText(path) : "";
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        try
        {
            if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
            {
                await StopAsync();
            }
        }
        finally
        {
            try
            {
                Directory.Delete(_folder, recursive: true);
            }
            catch (IOException)
            {
                // A file the server still wrote while stopping: the temp folder keeps it.
            }
        }
    }

    private Task PgAsync(string tool, string arguments) =>
        AsRoot
            ? RunAsync("runuser", $"-u postgres -- {Path.Combine(Bin, tool)} {arguments}")
            : RunAsync(Path.Combine(Bin, tool), arguments);

    private static async Task RunAsync(string file, string arguments)
    {
        var start = new ProcessStartInfo(file, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // The server must not inherit the test's working directory assumptions or a locale it lacks.
            WorkingDirectory = Path.GetTempPath(),
        };
        start.Environment["LC_ALL"] = "C.UTF-8";
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {file}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {arguments} did not finish within 60 s");
        }
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {arguments} exited with {process.ExitCode}: {await error}{await output}");
        }
    }

    private static string FindBin()
    {
        var root = "/usr/lib/postgresql";
        var versions = Directory.Exists(root)
            ? Directory.GetDirectories(root).Where(d => File.Exists(Path.Combine(d, "bin", "initdb"))).OrderBy(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0).ToList()
            : [];
        return versions.Count > 0
            ? Path.Combine(versions[^1], "bin")
            : throw new InvalidOperationException("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): the test command installs Debian's postgresql");
    }
}
