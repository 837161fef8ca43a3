using System.Text;

namespace Broker.Client;

/// <summary>How the broker learns a message was consumed.</summary>
public enum StompAckMode
{
    /// <summary>Acknowledged by the broker once written to us; no ACK needed.</summary>
    Auto,

    /// <summary>ACK acknowledges this message and every earlier one of the subscription.</summary>
    Client,

    /// <summary>ACK acknowledges this message only.</summary>
    ClientIndividual,
}

/// <summary>How to subscribe. Immutable; start from <see cref="Default"/>.</summary>
public sealed record SubscribeOptions
{
    /// <summary>Auto-ack, the broker's default prefetch.</summary>
    public static SubscribeOptions Default { get; } = new();

    /// <summary>The ack mode (default <see cref="StompAckMode.Auto"/>).</summary>
    public StompAckMode AckMode { get; init; } = StompAckMode.Auto;

    /// <summary>Unacknowledged messages the broker may push ahead (<c>activemq.prefetchSize</c>); the broker's default when null.</summary>
    public int? Prefetch { get; init; }

    /// <summary>A message selector (<c>selector</c> header).</summary>
    public string? Selector { get; init; }

    /// <summary>A durable topic subscription name (<c>activemq.subscriptionName</c>); needs <see cref="StompClientOptions.ClientId"/>.</summary>
    public string? DurableName { get; init; }

    /// <summary>Extra SUBSCRIBE headers.</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }
}

/// <summary>A received MESSAGE. Headers, body and the means to acknowledge it.</summary>
public sealed class StompMessage
{
    private readonly StompConnection _connection;

    internal StompMessage(StompConnection connection, long generation, IReadOnlyDictionary<string, string> headers, ReadOnlyMemory<byte> body)
    {
        _connection = connection;
        Generation = generation;
        Headers = headers;
        Body = body;
    }

    /// <summary>Every header, first occurrence of each name.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; }

    /// <summary>The body bytes.</summary>
    public ReadOnlyMemory<byte> Body { get; }

    /// <summary>The body as UTF-8 text.</summary>
    public string BodyText => Encoding.UTF8.GetString(Body.Span);

    /// <summary>The <c>destination</c> header.</summary>
    public string? Destination => Header("destination");

    /// <summary>The broker's <c>message-id</c>.</summary>
    public string? MessageId => Header("message-id");

    /// <summary>The subscription it came through.</summary>
    public string? SubscriptionId => Header("subscription");

    /// <summary>True when the broker delivered it before (<c>redelivered:true</c>).</summary>
    public bool Redelivered => Header("redelivered") == "true";

    /// <summary>The link it arrived on; ACK/NACK is only sent on that same link.</summary>
    internal long Generation { get; }

    internal string? AckId => Header("ack");

    /// <summary>One header's value, or null.</summary>
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;

    /// <summary>Acknowledges it (client and client-individual modes). See <see cref="StompConnection.AckAsync(StompMessage, CancellationToken)"/>.</summary>
    public Task<bool> AckAsync(CancellationToken cancellationToken = default) => _connection.AckAsync(this, null, cancellationToken);

    /// <summary>Returns it to the broker for redelivery. See <see cref="StompConnection.NackAsync"/>.</summary>
    public Task<bool> NackAsync(CancellationToken cancellationToken = default) => _connection.NackAsync(this, cancellationToken);
}
