using System.Security.Cryptography.X509Certificates;
using Broker.Core;
using Broker.Core.Events;
using Broker.Core.Security;
using Broker.Server;
using Broker.Stomp.Connectors;
using Broker.Stomp.Sessions;

namespace BrokerConsole.Hosting;

/// <summary>
/// One configured broker as the host composes it: its lifecycle (Broker.Server: store, pair, state) and the
/// STOMP connectors that lifecycle opens and closes. Everything about where the broker stands is the
/// lifecycle's <see cref="BrokerLifecycle.Status"/>.
/// </summary>
public sealed class HostedBroker : IAsyncDisposable
{
    private readonly StompEndpoints _endpoints;

    public HostedBroker(BrokerDefinition definition, EventLog events, IBrokerAuthenticator authenticator,
        StompServerOptions stompOptions, ILoggerFactory loggerFactory)
    {
        Authenticator = authenticator;
        StompOptions = stompOptions;
        var certificate = LoadCertificate(definition.Tls);
        StompEndpoints? endpoints = null;
        Lifecycle = new BrokerLifecycle(definition, events, authenticator, (broker, handoff) => endpoints = new StompEndpoints(
            definition.Name,
            [.. definition.Connectors.Select(uri => new StompTcpConnector(uri, broker, authenticator, stompOptions, certificate, loggerFactory, handoff))]),
            loggerFactory);
        _endpoints = endpoints!;
    }

    public BrokerLifecycle Lifecycle { get; }

    public BrokerDefinition Definition => Lifecycle.Definition;

    public string Name => Lifecycle.Name;

    public MessageBroker Broker => Lifecycle.Broker;

    public IReadOnlyList<StompTcpConnector> Connectors => _endpoints.Connectors;

    public IBrokerAuthenticator Authenticator { get; }

    public StompServerOptions StompOptions { get; }

    public LifecycleStatus Status => Lifecycle.Status;

    /// <summary>Clients are served (TCP and WebSocket) only while this is true.</summary>
    public bool ConnectorsOpen => _endpoints.IsOpen;

    public Task StopByOperatorAsync() => Lifecycle.StopByOperatorAsync();

    public Task StartByOperatorAsync() => Lifecycle.StartByOperatorAsync();

    public Task PromoteByOperatorAsync() => Lifecycle.PromoteByOperatorAsync();

    public Task SwitchoverByOperatorAsync() => Lifecycle.SwitchoverByOperatorAsync();

    public ValueTask DisposeAsync() => Lifecycle.DisposeAsync();

    private static X509Certificate2? LoadCertificate(TlsOptions? tls) =>
        tls is null || string.IsNullOrEmpty(tls.CertificatePath) ? null : tls.Load();
}
