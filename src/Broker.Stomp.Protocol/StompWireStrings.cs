using System.Text;

namespace Broker.Stomp.Protocol;

/// <summary>
/// Interned strings for the commands, header names and header values that nearly every frame carries, so that
/// parsing an ordinary SEND or ACK allocates no strings for them.
/// </summary>
internal static class StompWireStrings
{
    private static readonly Entry[] Commands = Build(
        "CONNECT", "STOMP", "CONNECTED", "SEND", "SUBSCRIBE", "UNSUBSCRIBE", "ACK", "NACK", "BEGIN", "COMMIT",
        "ABORT", "DISCONNECT", "MESSAGE", "RECEIPT", "ERROR");

    private static readonly Entry[] HeaderNames = Build(
        "destination", "receipt", "receipt-id", "id", "ack", "subscription", "content-length", "content-type",
        "message-id", "transaction", "persistent", "priority", "expires", "timestamp", "reply-to",
        "correlation-id", "type", "redelivered", "selector", "accept-version", "host", "login", "passcode",
        "heart-beat", "version", "session", "server", "message", "prefetch-count", "durable-subscriber-name",
        "activemq.subscriptionName");

    private static readonly Entry[] HeaderValues = Build(
        "true", "false", "auto", "client", "client-individual", "text/plain", "text/plain;charset=utf-8",
        "application/json", "application/octet-stream", "0", "1", "4", "9", "0,0", "1.0", "1.1", "1.2",
        "1.0,1.1,1.2", "1.1,1.2");

    public static string Command(ReadOnlySpan<byte> ascii) =>
        Find(Commands, ascii) ?? Encoding.ASCII.GetString(ascii);

    /// <summary>Decodes already-validated UTF-8, reusing an interned string when the bytes match one.</summary>
    public static string HeaderName(ReadOnlySpan<byte> utf8) =>
        Find(HeaderNames, utf8) ?? Encoding.UTF8.GetString(utf8);

    public static string HeaderValue(ReadOnlySpan<byte> utf8) =>
        Find(HeaderValues, utf8) ?? (utf8.IsEmpty ? string.Empty : Encoding.UTF8.GetString(utf8));

    private static string? Find(Entry[] entries, ReadOnlySpan<byte> bytes)
    {
        // A linear scan with a length-and-first-byte check beats hashing for ~30 short entries.
        if (bytes.IsEmpty || bytes.Length > 32)
        {
            return null;
        }
        foreach (var entry in entries)
        {
            if (entry.Bytes.Length == bytes.Length && entry.Bytes[0] == bytes[0] && bytes.SequenceEqual(entry.Bytes))
            {
                return entry.Text;
            }
        }
        return null;
    }

    private static Entry[] Build(params string[] texts) =>
        texts.Select(t => new Entry(string.Intern(t), Encoding.UTF8.GetBytes(t))).ToArray();

    private readonly record struct Entry(string Text, byte[] Bytes);
}
