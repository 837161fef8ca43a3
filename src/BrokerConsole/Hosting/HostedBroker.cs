using System.Security.Cryptography.X509Certificates;
using Broker.Core;
using Broker.Core.Events;
using Broker.Core.Security;
using Broker.Stomp.Connectors;
using Broker.Stomp.Sessions;
using Broker.Storage;

namespace BrokerConsole.Hosting;

/// <summary>One configured broker with its client connectors, started and stopped together.</summary>
public sealed class HostedBroker : IAsyncDisposable
{
    private readonly ILogger _logger;
    private readonly ILoggerFactory _loggerFactory;
    private Journal? _journal;

    public HostedBroker(BrokerDefinition definition, EventLog events, IBrokerAuthenticator authenticator,
        StompServerOptions stompOptions, ILoggerFactory loggerFactory)
    {
        Definition = definition;
        _logger = loggerFactory.CreateLogger<HostedBroker>();
        _loggerFactory = loggerFactory;
        Broker = new MessageBroker(definition.Name, definition.Options, events, loggerFactory.CreateLogger<MessageBroker>());
        var certificate = LoadCertificate(definition.Tls);
        Connectors = [.. definition.Connectors.Select(uri => new StompTcpConnector(uri, Broker, authenticator, stompOptions, certificate, loggerFactory))];
        Authenticator = authenticator;
        StompOptions = stompOptions;
    }

    public BrokerDefinition Definition { get; }

    public string Name => Definition.Name;

    public MessageBroker Broker { get; }

    public IReadOnlyList<StompTcpConnector> Connectors { get; }

    public IBrokerAuthenticator Authenticator { get; }

    public StompServerOptions StompOptions { get; }

    /// <summary>Clients are served (TCP and WebSocket) only while this is true.</summary>
    public bool ConnectorsOpen { get; private set; }

    public async Task StartAsync()
    {
        HostLog.BrokerStarting(_logger, Name, Definition.Options.DataDirectory);
        if (_journal is null)
        {
            // First start: take the data directory and rebuild the broker from its journal.
            var options = Definition.Options;
            _journal = Journal.Open(options.DataDirectory, Name, new JournalOptions
            {
                SegmentSize = options.JournalSegmentSize,
                StoreLimit = options.StoreLimit,
                SkipDamagedRecords = options.SkipDamagedRecords,
            }, _loggerFactory.CreateLogger<Journal>());
            Broker.Recover(_journal, _journal.Replay());
        }
        Broker.Start();
        try
        {
            foreach (var connector in Connectors)
            {
                connector.Start();
            }
        }
        catch (System.Net.Sockets.SocketException e)
        {
            await StopAsync();
            throw new InvalidOperationException($"broker {Name} cannot open its connectors: {e.Message}", e);
        }
        ConnectorsOpen = true;
        HostLog.BrokerStarted(_logger, Name);
    }

    public async Task StopAsync()
    {
        ConnectorsOpen = false;
        foreach (var connector in Connectors)
        {
            await connector.StopAsync();
        }
        await Broker.StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        if (_journal is not null)
        {
            await _journal.DisposeAsync();
            _journal = null;
        }
    }

    /// <summary>The broker's journal once started (null before).</summary>
    public Journal? Journal => _journal;

    private static X509Certificate2? LoadCertificate(TlsOptions? tls)
    {
        if (tls is null || string.IsNullOrEmpty(tls.CertificatePath))
        {
            return null;
        }
        return tls.KeyPath is { Length: > 0 } keyPath
            ? X509Certificate2.CreateFromPemFile(tls.CertificatePath, keyPath)
            : X509CertificateLoader.LoadPkcs12FromFile(tls.CertificatePath, tls.CertificatePassword);
    }
}
