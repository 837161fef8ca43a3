using Broker.Core.Events;
using Broker.Core.Security;
using Broker.Stomp.Sessions;

namespace BrokerConsole.Hosting;

/// <summary>The brokers this process hosts; starts them with the host and stops them with it.</summary>
public sealed class BrokerRegistry : IHostedService
{
    private readonly IReadOnlyList<HostedBroker> _brokers;

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

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var broker in _brokers)
        {
            await broker.StartAsync();
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var broker in _brokers)
        {
            await broker.DisposeAsync();
        }
    }
}
