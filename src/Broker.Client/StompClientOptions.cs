using System.Net.Security;

namespace Broker.Client;

/// <summary>Everything about a connection besides where it goes: credentials, heart-beats and time limits. Immutable; start from <see cref="Default"/>.</summary>
public sealed record StompClientOptions
{
    /// <summary>No credentials, 10 s heart-beats both ways, 30 s receipts.</summary>
    public static StompClientOptions Default { get; } = new();

    /// <summary>The <c>login</c> header of CONNECT.</summary>
    public string? Login { get; init; }

    /// <summary>The <c>passcode</c> header of CONNECT.</summary>
    public string? Passcode { get; init; }

    /// <summary>The <c>host</c> header (the virtual host); the endpoint's host when null.</summary>
    public string? VirtualHost { get; init; }

    /// <summary>The <c>client-id</c> header, needed for durable topic subscriptions.</summary>
    public string? ClientId { get; init; }

    /// <summary>How often we offer to send heart-beats; zero sends none.</summary>
    public TimeSpan HeartbeatSend { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often we ask the broker to send them; a link silent for twice the agreed interval is treated as lost.</summary>
    public TimeSpan HeartbeatReceive { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a CONNECT may wait for CONNECTED.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a connected link may take to answer a receipt (a COMMIT, a SUBSCRIBE, a graceful DISCONNECT).</summary>
    public TimeSpan ReceiptTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The <c>producer-id</c> stamped on resendable messages; a new GUID per connection when null. Must be unique among live producers.</summary>
    public string? ProducerId { get; init; }

    /// <summary>Validates the broker's TLS certificate for <c>ssl://</c>; the system's validation when null.</summary>
    public RemoteCertificateValidationCallback? RemoteCertificateValidation { get; init; }

    /// <summary>Where the connection logs state changes and reconnect warnings; nowhere when null.</summary>
    public Microsoft.Extensions.Logging.ILogger? Logger { get; init; }

    /// <summary>Seeds the jitter and shuffling (tests); a shared random source when null.</summary>
    public Random? Random { get; init; }
}
