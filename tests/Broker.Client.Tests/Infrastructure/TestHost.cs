using System.Net;
using System.Net.Sockets;
using BrokerConsole;
using BrokerConsole.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Broker.Client.Tests.Infrastructure;

/// <summary>
/// The real host in this process on loopback (copied from BrokerConsole.Tests): HTTP on a free port, broker
/// <c>b1</c>, its own temp folder. Users admin, producer, consumer, viewer (password = name) and replicator.
/// <see cref="StartPairAsync"/> makes a master and a slave that promotes when the master stops.
/// </summary>
public sealed class TestHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _stopped;

    private TestHost(WebApplication app, string root, int port)
    {
        _app = app;
        Root = root;
        Port = port;
    }

    public string Root { get; }

    public int Port { get; }

    public Uri HttpUri { get; private set; } = null!;

    public string StompUri => $"tcp://127.0.0.1:{Port}";

    public BrokerRegistry Registry => _app.Services.GetRequiredService<BrokerRegistry>();

    public static Task<TestHost> StartAsync(params string[] settings) => StartAsync(FreePort(), settings);

    /// <summary>A master on one port and a slave replicating from it on another; stopping the master promotes the slave.</summary>
    public static async Task<(TestHost Master, TestHost Slave)> StartPairAsync()
    {
        var master = await StartAsync();
        try
        {
            var slave = await StartAsync(FreePort(), $"--Brokers:b1:MasterConnectorUri=tcp://127.0.0.1:{master.Port}");
            return (master, slave);
        }
        catch
        {
            await master.DisposeAsync();
            throw;
        }
    }

    public static async Task<TestHost> StartAsync(int port, params string[] settings)
    {
        var root = Directory.CreateTempSubdirectory("broker-client-test-").FullName;
        var args = new List<string>
        {
            "--urls=http://127.0.0.1:0",
            $"--Logging:Directory={Path.Combine(root, "logs")}",
            "--Brokers:amq1M:Enabled=false",
            "--Brokers:amq1S:Enabled=false",
            $"--Brokers:b1:Connectors:0=tcp://127.0.0.1:{port}",
            $"--Brokers:b1:DataDirectory={Path.Combine(root, "data", "b1")}",
            "--Replication:UserName=replicator", "--Replication:Password=replicator",
            "--Security:Users:admin:Password=admin", "--Security:Users:admin:Roles:0=admin",
            "--Security:Users:viewer:Password=viewer", "--Security:Users:viewer:Roles:0=viewer",
            "--Security:Users:producer:Password=producer", "--Security:Users:producer:Roles:0=producer",
            "--Security:Users:consumer:Password=consumer", "--Security:Users:consumer:Roles:0=consumer",
            "--Security:Users:replicator:Password=replicator", "--Security:Users:replicator:Roles:0=replication",
        };
        args.AddRange(settings);
        var app = BrokerConsoleApp.Create([.. args], root);
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

    /// <summary>A port free right now (bound and released), for connectors that open later, such as a slave's.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
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

public static class TestHostExtensions
{
    public static HttpClient CreateHttpClient(this TestHost host, string user = "admin")
    {
        var client = new HttpClient { BaseAddress = host.HttpUri, Timeout = TimeSpan.FromSeconds(30) };
        var token = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{user}:{user}"));
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", token);
        return client;
    }
}
