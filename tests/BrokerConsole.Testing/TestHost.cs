using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using BrokerConsole.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace BrokerConsole.Tests.Infrastructure;

/// <summary>
/// The real host in this process on loopback: HTTP on a free port, each broker's STOMP connector on port 0,
/// its own temp folder for data and logs. Disposing stops it and deletes the folder.
/// </summary>
public sealed class TestHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestHost(WebApplication app, string root)
    {
        _app = app;
        Root = root;
    }

    public string Root { get; }

    public Uri HttpUri { get; private set; } = null!;

    public BrokerRegistry Registry => _app.Services.GetRequiredService<BrokerRegistry>();

    public IServiceProvider Services => _app.Services;

    public int StompPort(string broker = "b1") => Registry.Find(broker)!.Connectors[0].BoundPort;

    /// <summary>Starts a host with broker <c>b1</c> (or those <paramref name="settings"/> name) and users admin/admin, viewer/viewer, producer/producer, consumer/consumer.</summary>
    public static async Task<TestHost> StartAsync(params string[] settings)
    {
        var root = Directory.CreateTempSubdirectory("brokerconsole-test-").FullName;
        var args = new List<string>
        {
            "--urls=http://127.0.0.1:0",
            $"--Logging:Directory={Path.Combine(root, "logs")}",
            "--Security:Users:admin:Password=admin", "--Security:Users:admin:Roles:0=admin",
            "--Security:Users:viewer:Password=viewer", "--Security:Users:viewer:Roles:0=viewer",
            "--Security:Users:producer:Password=producer", "--Security:Users:producer:Roles:0=producer",
            "--Security:Users:consumer:Password=consumer", "--Security:Users:consumer:Roles:0=consumer",
        };
        if (!settings.Any(s => s.StartsWith("--Brokers:", StringComparison.Ordinal)))
        {
            args.Add("--Brokers:b1:Connectors:0=tcp://127.0.0.1:0");
            args.Add($"--Brokers:b1:DataDirectory={Path.Combine(root, "data", "b1")}");
        }
        args.AddRange(settings.Select(s => s.Replace("{root}", root)));
        var app = BrokerConsoleApp.Create([.. args], root);
        var host = new TestHost(app, root);
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        host.HttpUri = new Uri(address);
        return host;
    }

    /// <summary>The replication user and the credentials a slave logs in with (<see cref="StartPairAsync"/>).</summary>
    public static readonly string[] ReplicationSettings =
    [
        "--Security:Users:replicator:Password=replicator", "--Security:Users:replicator:Roles:0=replication",
        "--Replication:UserName=replicator", "--Replication:Password=replicator",
    ];

    /// <summary>
    /// A host with a master/slave pair, as the default appsettings.json has one: master <paramref name="master"/> on a
    /// free STOMP port, slave <paramref name="slave"/> following it over that port (its own connector on port 0, opened at
    /// promotion), each with its data directory in the host's folder. The master's port is picked before the host
    /// starts (the slave's configuration names it), so a start that loses that port to another program is retried.
    /// Returns once the host runs; wait for "slave in sync" in the API or the console.
    /// </summary>
    public static async Task<TestHost> StartPairAsync(string master = "b1", string slave = "b2", params string[] settings)
    {
        for (var attempt = 1; ; attempt++)
        {
            var port = FreeTcpPort();
            try
            {
                return await StartAsync(
                [
                    .. ReplicationSettings,
                    $"--Brokers:{master}:Connectors:0=tcp://127.0.0.1:{port}",
                    $"--Brokers:{master}:DataDirectory={{root}}/data/{master}",
                    $"--Brokers:{slave}:Connectors:0=tcp://127.0.0.1:0",
                    $"--Brokers:{slave}:DataDirectory={{root}}/data/{slave}",
                    $"--Brokers:{slave}:MasterConnectorUri=tcp://127.0.0.1:{port}",
                    .. settings,
                ]);
            }
            catch (Exception e) when (attempt < 3 && (e is System.Net.Sockets.SocketException || e.InnerException is System.Net.Sockets.SocketException))
            {
                // Another program took the port between our probe and the bind: pick another.
            }
        }
    }

    /// <summary>A TCP port free on loopback right now (bound, read and released).</summary>
    public static int FreeTcpPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>What the host has logged to its file so far.</summary>
    public string ReadLog()
    {
        var text = new System.Text.StringBuilder();
        foreach (var file in Directory.GetFiles(Path.Combine(Root, "logs")))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            text.Append(new StreamReader(stream).ReadToEnd());
        }
        return text.ToString();
    }

    /// <summary>Waits (up to 10 s) until the host's log contains <paramref name="text"/>; the log sink may lag a moment.</summary>
    public async Task<string> WaitForLogAsync(string text)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        var log = ReadLog();
        while (!log.Contains(text, StringComparison.Ordinal) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
            log = ReadLog();
        }
        return log;
    }

    public HttpClient CreateHttpClient(string? user = "admin", string? password = null)
    {
        var client = new HttpClient { BaseAddress = HttpUri, Timeout = TimeSpan.FromSeconds(30) };
        if (user is not null)
        {
            var token = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{user}:{password ?? user}"));
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", token);
        }
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await _app.StopAsync(timeout.Token);
        }
        finally
        {
            await _app.DisposeAsync();
            try
            {
                Directory.Delete(Root, recursive: true);
            }
            catch (IOException)
            {
                // A log file still being closed; the OS cleans temp folders.
            }
        }
    }
}
