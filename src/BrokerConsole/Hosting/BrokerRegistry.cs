using Broker.Core.Events;
using Broker.Core.Security;
using Broker.Stomp.Sessions;

namespace BrokerConsole.Hosting;

/// <summary>
/// The brokers this process hosts; starts them with the host and stops them with it. They start once the HTTP
/// server listens (<see cref="StartedAsync"/>): a busy HTTP port then stops start-up before any broker served a client.
/// </summary>
public sealed class BrokerRegistry : IHostedLifecycleService
{
    private readonly IReadOnlyList<HostedBroker> _brokers;
    private int _stopped;

    public BrokerRegistry(IReadOnlyList<BrokerDefinition> definitions, EventLog events, IBrokerAuthenticator authenticator,
        StompServerOptions stompOptions, ILoggerFactory loggerFactory, IHostApplicationLifetime lifetime)
    {
        Events = events;
        _brokers = [.. definitions.Select(d => new HostedBroker(d, events, authenticator, stompOptions, loggerFactory))];
        foreach (var broker in _brokers)
        {
            // A broker that cannot go on (no slave within WaitForSlaveTimeout) ends the process with an error.
            broker.Fatal += _ =>
            {
                Environment.ExitCode = 3;
                lifetime.StopApplication();
            };
        }
    }

    public IReadOnlyList<HostedBroker> All => _brokers;

    public EventLog Events { get; }

    public HostedBroker? Find(string name) => _brokers.FirstOrDefault(b => b.Name == name);

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>After every hosted service started, the web server included (it is registered last).</summary>
    public async Task StartedAsync(CancellationToken cancellationToken)
    {
        try
        {
            foreach (var broker in _brokers)
            {
                await broker.StartAsync();
            }
        }
        catch
        {
            // The host does not stop what started when start-up fails: close the brokers already serving ourselves.
            await StopBrokersAsync();
            throw;
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => StopBrokersAsync();

    /// <summary>Once: after a failed start, the host's stop (a test disposing its host) finds nothing left to do.</summary>
    private async Task StopBrokersAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }
        foreach (var broker in _brokers)
        {
            await broker.DisposeAsync();
        }
    }

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
