using System.Diagnostics;
using Broker.Core.Messages;
using Broker.Core.Selectors;

namespace BrokerBench;

/// <summary>
/// What a selector costs per message, in-process (#13's goal: under 1 µs for a 3-term expression): parses three
/// selectors, warms each up, then times <c>--count</c> evaluations (10,000,000 by default) against a message with
/// six headers that matches and one that does not (the 3-term one fails on its last term, the most work), and reports nanoseconds and
/// bytes allocated per evaluation.
/// </summary>
internal static class SelectorCost
{
    private static readonly (string Text, Message Other)[] Selectors =
    [
        ("color = 'red' AND price > 100 AND region IN ('EU','US')", Message(color: "red", region: "APAC", sku: "EU-1234-X7")),
        ("color = 'red'", Message(color: "blue", region: "EU", sku: "EU-1234-X7")),
        ("sku LIKE 'EU-%-X_'", Message(color: "red", region: "EU", sku: "EU-1234-Y7")),
    ];

    public static int Run(BenchOptions o)
    {
        long count = o.Count > 0 ? o.Count : 10_000_000;
        var matching = Message(color: "red", region: "EU", sku: "EU-1234-X7");
        Console.WriteLine($"selector-cost: {count:N0} evaluations per line, message of {matching.Headers.Count} headers");
        foreach (var (text, other) in Selectors)
        {
            var selector = MessageSelector.Parse(text);
            foreach (var (message, expected, name) in new[] { (matching, true, "match"), (other, false, "no match") })
            {
                if (selector.Matches(message) != expected)
                {
                    throw new BenchException($"'{text}' answered {!expected} on its {name} message");
                }
                Time(selector, message, Math.Min(count, 2_000_000));
                var (ns, bytes) = Time(selector, message, count);
                Console.WriteLine($"  {ns,7:F1} ns/eval  {bytes,5:F2} B/eval  {name,-8}  {text}");
            }
        }
        return 0;
    }

    private static (double Ns, double Bytes) Time(MessageSelector selector, Message message, long count)
    {
        long hits = 0;
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        var watch = Stopwatch.StartNew();
        for (long i = 0; i < count; i++)
        {
            if (selector.Matches(message))
            {
                hits++;
            }
        }
        watch.Stop();
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        GC.KeepAlive(hits);
        return (watch.Elapsed.TotalNanoseconds / count, (double)allocated / count);
    }

    private static Message Message(string color, string region, string sku) => new()
    {
        MessageId = "ID:bench-1",
        Destination = DestinationName.Queue("orders"),
        Headers =
        [
            KeyValuePair.Create("content-type", "application/json"),
            KeyValuePair.Create("customer", "c-42"),
            KeyValuePair.Create("color", color),
            KeyValuePair.Create("price", "150"),
            KeyValuePair.Create("region", region),
            KeyValuePair.Create("sku", sku),
        ],
    };
}
