using System.Net;
using System.Net.Sockets;
using BrokerConsole;
using BrokerConsole.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Broker.Testing;

/// <summary>
/// The real host in this process on loopback: HTTP on a free port, broker <c>b1</c> (unless the settings name
/// brokers of their own) with its STOMP connector on port 0 or a given port, its own temp folder for data and
/// logs. Users admin, viewer, producer, consumer (password = name). Disposing stops it and deletes the folder.
/// </summary>
public sealed class TestHost : IAsyncDisposable
{
    /// <summary>The replication user, and the credentials a slave logs in with.</summary>
    public static readonly string[] ReplicationSettings =
    [
        "--Security:Users:replicator:Password=replicator", "--Security:Users:replicator:Roles:0=replication",
        "--Replication:UserName=replicator", "--Replication:Password=replicator",
    ];

    private readonly WebApplication _app;
    private readonly int _port;
    private int _stopped;

    private TestHost(WebApplication app, string root, int port)
    {
        _app = app;
        Root = root;
        _port = port;
    }

    public string Root { get; }

    public Uri HttpUri { get; private set; } = null!;

    public BrokerRegistry Registry => _app.Services.GetRequiredService<BrokerRegistry>();

    public IServiceProvider Services => _app.Services;

    /// <summary>Broker <c>b1</c>'s STOMP port: the one given at start (a slave's, before its connector opens) or the bound one.</summary>
    public int Port => _port != 0 ? _port : StompPort();

    public string StompUri => $"tcp://127.0.0.1:{Port}";

    public int StompPort(string broker = "b1") => Registry.Find(broker)!.Connectors[0].BoundPort;

    /// <summary>Starts a host with broker <c>b1</c> on STOMP port 0 (or the brokers <paramref name="settings"/> name).</summary>
    public static Task<TestHost> StartAsync(params string[] settings) =>
        StartCoreAsync(0, defaultBroker: !settings.Any(s => s.StartsWith("--Brokers:", StringComparison.Ordinal)), settings);

    /// <summary>
    /// Starts a host whose broker <c>b1</c> listens on <paramref name="port"/> (the same port again after a restart,
    /// say); <paramref name="settings"/> add to b1's (a MasterConnectorUri, say).
    /// </summary>
    public static Task<TestHost> StartAsync(int port, params string[] settings) => StartCoreAsync(port, defaultBroker: true, settings);

    private static async Task<TestHost> StartCoreAsync(int port, bool defaultBroker, string[] settings)
    {
        var root = Directory.CreateTempSubdirectory("broker-test-").FullName;
        var args = new List<string>
        {
            "--urls=http://127.0.0.1:0",
            $"--Logging:Directory={Path.Combine(root, "logs")}",
            "--Security:Users:admin:Password=admin", "--Security:Users:admin:Roles:0=admin",
            "--Security:Users:viewer:Password=viewer", "--Security:Users:viewer:Roles:0=viewer",
            "--Security:Users:producer:Password=producer", "--Security:Users:producer:Roles:0=producer",
            "--Security:Users:consumer:Password=consumer", "--Security:Users:consumer:Roles:0=consumer",
        };
        if (defaultBroker)
        {
            args.Add($"--Brokers:b1:Connectors:0=tcp://127.0.0.1:{port}");
            args.Add($"--Brokers:b1:DataDirectory={Path.Combine(root, "data", "b1")}");
        }
        args.AddRange(settings.Select(s => s.Replace("{root}", root)));
        WebApplication app;
        try
        {
            app = BrokerConsoleApp.Create([.. args], root);
        }
        catch
        {
            // Refused configuration: nothing was opened, only the folder to remove.
            Directory.Delete(root, recursive: true);
            throw;
        }
        var host = new TestHost(app, root, port);
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
        host.HttpUri = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return host;
    }

    /// <summary>A master on one port and a slave replicating from it on another; stopping the master promotes the slave.</summary>
    public static async Task<(TestHost Master, TestHost Slave)> StartPairAsync()
    {
        var master = await StartAsync(FreePort(), ReplicationSettings);
        try
        {
            var slave = await StartAsync(FreePort(), [.. ReplicationSettings, $"--Brokers:b1:MasterConnectorUri=tcp://127.0.0.1:{master.Port}"]);
            return (master, slave);
        }
        catch
        {
            await master.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// One host with a master/slave pair, as the default appsettings.json has one: master <paramref name="master"/> on a
    /// free STOMP port, slave <paramref name="slave"/> following it over that port (its own connector on port 0, opened at
    /// promotion), each with its data directory in the host's folder. The master's port is picked before the host
    /// starts (the slave's configuration names it), so a start that loses that port to another program is retried.
    /// Returns once the host runs; wait for "slave in sync" in the API or the console.
    /// </summary>
    public static async Task<TestHost> StartPairInOneHostAsync(string master = "b1", string slave = "b2", params string[] settings)
    {
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort();
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
            catch (Exception e) when (attempt < 3 && (e is SocketException || e.InnerException is SocketException))
            {
                // Another program took the port between our probe and the bind: pick another.
            }
        }
    }

    /// <summary>A port free right now, for connectors that open later, such as a slave's (see <see cref="FreePorts"/>).</summary>
    public static int FreePort() => FreePorts.Next();

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

    /// <summary>Stops the host (its brokers close their connections), keeping the folder.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await _app.StopAsync(timeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
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

/// <summary>Waits for a condition instead of sleeping (NATS's Retry.Until).</summary>
public static class Retry
{
    public static async Task UntilAsync(string reason, Func<bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out waiting until {reason}");
            }
            await Task.Delay(20);
        }
    }
}
