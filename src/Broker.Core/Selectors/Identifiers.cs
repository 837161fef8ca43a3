using Broker.Core.Messages;

namespace Broker.Core.Selectors;

/// <summary>
/// Identifiers as a STOMP message answers them: the JMS header names ActiveMQ maps to STOMP's, every other name
/// the message header of that name (a string) or NULL when the message has none.
/// </summary>
internal static class Identifiers
{
    public static Node Resolve(string name) => name switch
    {
        "JMSPriority" => new MessageField(m => Value.Of((long)m.Priority)),
        "JMSTimestamp" => new MessageField(m => Value.Of(m.Timestamp)),
        "JMSExpiration" => new MessageField(m => Value.Of(m.Expires)),
        "JMSMessageID" => new MessageField(m => Value.Of(m.MessageId)),
        "JMSDeliveryMode" => new MessageField(m => Value.Of(m.Persistent ? Persistent : NonPersistent)),
        "JMSDestination" => new DestinationField(),
        "JMSType" => new HeaderField("type"),
        "JMSCorrelationID" => new HeaderField("correlation-id"),
        "JMSReplyTo" => new HeaderField("reply-to"),
        _ => new HeaderField(name),
    };

    private const string Persistent = "PERSISTENT";
    private const string NonPersistent = "NON_PERSISTENT";

    /// <summary>The first header named <paramref name="name"/> (STOMP's rule for repeated headers), or null.</summary>
    public static string? FindHeader(Message message, string name)
    {
        var headers = message.Headers;
        // By index or span, never foreach over the interface: that would allocate an enumerator per message.
        if (headers is KeyValuePair<string, string>[] array)
        {
            foreach (ref readonly var header in array.AsSpan())
            {
                if (string.Equals(header.Key, name, StringComparison.Ordinal))
                {
                    return header.Value;
                }
            }
            return null;
        }
        for (int i = 0; i < headers.Count; i++)
        {
            var header = headers[i];
            if (string.Equals(header.Key, name, StringComparison.Ordinal))
            {
                return header.Value;
            }
        }
        return null;
    }

    private sealed class HeaderField(string header) : Node
    {
        public override StaticType Type => StaticType.Any;

        public override Value Evaluate(Message message) => Value.Of(FindHeader(message, header));
    }

    private sealed class MessageField(Func<Message, Value> read) : Node
    {
        public override StaticType Type => StaticType.Any;

        public override Value Evaluate(Message message) => read(message);
    }

    /// <summary>
    /// The destination as STOMP names it (<c>/queue/orders</c>). <see cref="DestinationName.ToString"/> builds a
    /// new string, so the last one is kept: a subscription sees one destination (a few with wildcards), and the
    /// cache is one immutable pair swapped whole, safe when several threads evaluate the selector at once.
    /// </summary>
    private sealed class DestinationField : Node
    {
        private Named? _last;

        public override StaticType Type => StaticType.Any;

        public override Value Evaluate(Message message)
        {
            var last = Volatile.Read(ref _last);
            if (last is null || last.Name != message.Destination)
            {
                last = new Named(message.Destination, message.Destination.ToString());
                Volatile.Write(ref _last, last);
            }
            return Value.Of(last.Text);
        }

        private sealed record Named(DestinationName Name, string Text);
    }
}
