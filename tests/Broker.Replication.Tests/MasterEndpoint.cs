using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Broker.Core.Events;
using Broker.Core.Security;
using Broker.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Broker.Replication.Tests;

/// <summary>
/// A master's side of the link on a real loopback port: a journal in a temporary folder, a
/// <see cref="ReplicationMaster"/>, and a listener that hands each connection to it after the preamble,
/// as a broker's connector does; with a <see cref="Certificate"/>, it speaks TLS first (an <c>ssl://</c> connector).
/// </summary>
internal sealed class MasterEndpoint : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _accepting;
    private readonly Lock _lock = new();
    private readonly List<Socket> _accepted = [];

    public MasterEndpoint(ReplicationOptions? options = null, X509Certificate2? certificate = null)
    {
        Certificate = certificate;
        Directory.CreateDirectory(Folder);
        Journal = Journal.Open(Folder, "m1", new JournalOptions { SegmentSize = 1024 * 1024 }, NullLogger<Journal>.Instance);
        foreach (var _ in Journal.Replay())
        {
            // An empty journal: replaying it makes it ready for appends.
        }
        Master = new ReplicationMaster("m1", Journal, options ?? new ReplicationOptions(), new TestUsers(),
            (kind, detail) => Events.Add((kind, detail)), Log);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public string Folder { get; } = Path.Combine(Path.GetTempPath(), "repl-tests", Guid.NewGuid().ToString("N"));

    public Journal Journal { get; }

    public ReplicationMaster Master { get; }

    public List<(BrokerEventKind Kind, string Detail)> Events { get; } = [];

    public RecordingLogger Log { get; } = new();

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>The TLS certificate the next connections are served with (null: plain TCP).</summary>
    public X509Certificate2? Certificate { get; set; }

    /// <summary>Cuts every accepted connection; the listener stays (a link lost while the master lives).</summary>
    public void DropConnections()
    {
        List<Socket> accepted;
        lock (_lock)
        {
            accepted = [.. _accepted];
            _accepted.Clear();
        }
        foreach (var socket in accepted)
        {
            socket.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        await _accepting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await Master.DisposeAsync();
        await Journal.DisposeAsync();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by the OS: the temporary folder is cleaned up later.
        }
    }

    private async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            var socket = await _listener.AcceptSocketAsync(_stopping.Token);
            lock (_lock)
            {
                _accepted.Add(socket);
            }
            _ = ServeAsync(socket);
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        Stream stream = new NetworkStream(socket, ownsSocket: true);
        try
        {
            if (Certificate is { } certificate)
            {
                var tls = new SslStream(stream);
                stream = tls;
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate }, _stopping.Token);
            }
            var input = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
            var preamble = new byte[LinkProtocol.Preamble.Length];
            await stream.ReadExactlyAsync(preamble, _stopping.Token);
            await Master.HandleAsync(stream, input, socket.RemoteEndPoint!.ToString()!, _stopping.Token);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or EndOfStreamException or AuthenticationException or ObjectDisposedException)
        {
            // The test closed its side, or the slave refused the certificate.
        }
        finally
        {
            await stream.DisposeAsync();
        }
    }

    /// <summary>A replication user, an operator and a viewer, as a host would configure them.</summary>
    private sealed class TestUsers : IBrokerAuthenticator
    {
        public LoginResult Authenticate(string? login, string? password, string remoteAddress) => (login, password) switch
        {
            ("replicator", "replicator") => LoginResult.Success(new BrokerUser("replicator", new HashSet<string> { Roles.Replication }, Roles.DefaultGrants)),
            ("admin", "admin") => LoginResult.Success(new BrokerUser("admin", new HashSet<string> { Roles.Admin }, Roles.DefaultGrants)),
            _ => LoginResult.Failed,
        };
    }
}

/// <summary>Keeps what was logged, so a test can see that a refusal said why.</summary>
internal sealed class RecordingLogger : ILogger
{
    private readonly Lock _lock = new();
    private readonly List<string> _lines = [];

    public IReadOnlyList<string> Lines
    {
        get { lock (_lock) { return [.. _lines]; } }
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_lock)
        {
            _lines.Add(formatter(state, exception));
        }
    }
}
