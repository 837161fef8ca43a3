namespace Broker.Core.Messages;

/// <summary>
/// A message as the broker keeps it: immutable once accepted, so one instance can sit in many topic
/// subscriptions and be written by many sessions at once. <see cref="Headers"/> holds the application's
/// headers (custom ones, <c>content-type</c>, <c>reply-to</c>, <c>correlation-id</c>, <c>type</c>...); the
/// fields with meaning to the broker are properties.
/// </summary>
public sealed record Message
{
    public const byte DefaultPriority = 4;

    public required string MessageId { get; init; }

    public required DestinationName Destination { get; init; }

    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    public ReadOnlyMemory<byte> Body { get; init; }

    public bool Persistent { get; init; }

    /// <summary>0 (lowest) to 9 (highest); higher is dispatched first within a queue.</summary>
    public byte Priority { get; init; } = DefaultPriority;

    /// <summary>When it was accepted, in Unix milliseconds.</summary>
    public long Timestamp { get; init; }

    /// <summary>Unix milliseconds after which it must not be delivered; 0 = never expires.</summary>
    public long Expires { get; init; }

    /// <summary>
    /// What the message costs in memory, as counted against the broker's limit: the body, the header strings,
    /// and about 512 bytes of objects around them (the message, its id, header array, queue entry, index entry).
    /// </summary>
    public long Size => Body.Length + 512 + Headers.Sum(h => (long)(h.Key.Length + h.Value.Length) * 2 + 48);

    public bool IsExpired(long nowMs) => Expires > 0 && nowMs >= Expires;

    public string? Header(string name)
    {
        foreach (var (key, value) in Headers)
        {
            if (key == name)
            {
                return value;
            }
        }
        return null;
    }
}
