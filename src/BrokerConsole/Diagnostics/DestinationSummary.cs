using Broker.Core.Destinations;
using Broker.Core.Messages;

namespace BrokerConsole.Diagnostics;

/// <summary>
/// One broker's destinations as the metrics show them: how many of each kind, the messages pending in all of them,
/// and the <c>top</c> deepest by name with what the others hold together, so the series stay bounded whatever the
/// number of destinations while the totals stay exact.
/// </summary>
public sealed record DestinationSummary(
    int Queues,
    int Topics,
    long Pending,
    IReadOnlyList<DestinationStatistics> Deepest,
    long PendingElsewhere)
{
    /// <summary>One pass; the deepest are kept in a heap of <paramref name="top"/> (O(n log top), never a sort of all).</summary>
    public static DestinationSummary Of(IEnumerable<DestinationStatistics> destinations, int top)
    {
        var queues = 0;
        var topics = 0;
        long pending = 0;
        // The heap's head is the one to drop first: the shallowest, and of equal depths the last by name.
        var deepest = new PriorityQueue<DestinationStatistics, DestinationStatistics>(top + 1, ShallowestFirst.Instance);
        foreach (var d in destinations)
        {
            _ = d.Kind == DestinationKind.Queue ? queues++ : topics++;
            pending += d.Pending;
            if (top == 0)
            {
                continue;
            }
            if (deepest.Count < top)
            {
                deepest.Enqueue(d, d);
            }
            else if (ShallowestFirst.Instance.Compare(d, deepest.Peek()) > 0)
            {
                deepest.EnqueueDequeue(d, d);
            }
        }
        var kept = deepest.UnorderedItems.Select(i => i.Element)
            .OrderByDescending(d => d.Pending).ThenBy(d => d.Name, StringComparer.Ordinal).ToList();
        return new DestinationSummary(queues, topics, pending, kept, pending - kept.Sum(d => d.Pending));
    }

    private sealed class ShallowestFirst : IComparer<DestinationStatistics>
    {
        public static readonly ShallowestFirst Instance = new();

        public int Compare(DestinationStatistics? x, DestinationStatistics? y)
        {
            var byPending = x!.Pending.CompareTo(y!.Pending);
            if (byPending != 0)
            {
                return byPending;
            }
            var byName = string.CompareOrdinal(x.Name, y.Name);
            return -(byName != 0 ? byName : x.Kind.CompareTo(y.Kind));
        }
    }
}
