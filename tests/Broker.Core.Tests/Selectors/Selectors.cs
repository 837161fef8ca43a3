using Broker.Core.Messages;
using Broker.Core.Selectors;

namespace Broker.Core.Tests.Selectors;

/// <summary>Messages to select from, and a selector's three-valued answer as a word the assertions compare.</summary>
internal static class Selectors
{
    public static Message Message(params (string Key, string Value)[] headers) => new()
    {
        MessageId = "ID:test-1",
        Destination = DestinationName.Queue("orders"),
        Headers = headers.Select(h => KeyValuePair.Create(h.Key, h.Value)).ToArray(),
    };

    /// <summary>A message with the usual test headers: color red, price 150, region EU, flag true, name "o'neil".</summary>
    public static readonly Message Order = Message(
        ("color", "red"), ("price", "150"), ("region", "EU"), ("flag", "true"), ("name", "o'neil"), ("weight", "2.5"));

    /// <summary>TRUE, FALSE or UNKNOWN.</summary>
    public static string Eval(string selector, Message? message = null) =>
        MessageSelector.Parse(selector).Evaluate(message ?? Order) switch
        {
            Truth.True => "TRUE",
            Truth.False => "FALSE",
            _ => "UNKNOWN",
        };
}
