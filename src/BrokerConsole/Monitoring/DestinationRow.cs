using System.Text.Json.Serialization;
using Broker.Core.Destinations;
using Broker.Core.Messages;

namespace BrokerConsole.Monitoring;

/// <summary>A destination as the console lists it: the API's destination fields plus its current rates (messages per second).</summary>
public sealed record DestinationRow(
    string Name,
    string Kind,
    long Pending,
    int Consumers,
    long Enqueued,
    long Dequeued,
    long InFlight,
    double EnqueueRate,
    double DequeueRate)
{
    /// <summary>A queue and a topic may share a name; together with the kind it is unique within a broker.</summary>
    [JsonIgnore]
    public (string Kind, string Name) Key => (Kind, Name);

    public static string KindName(DestinationKind kind) => kind == DestinationKind.Queue ? "queue" : "topic";

    internal static DestinationRow From(DestinationStatistics d, double enqueueRate, double dequeueRate) =>
        new(d.Name, KindName(d.Kind), d.Pending, d.Consumers, d.Enqueued, d.Dequeued, d.InFlight, enqueueRate, dequeueRate);
}

/// <summary>
/// One item of <see cref="IMonitorSource.WatchDestinations"/>: first the whole list (<see cref="IsSnapshot"/>),
/// then only the rows that changed or went away since the previous item.
/// </summary>
public sealed record DestinationChanges(bool IsSnapshot, IReadOnlyList<DestinationRow> Updated, IReadOnlyList<DestinationRow> Removed);

/// <summary>One point of a history: rates in messages per second over the sample interval, and the depth at its end.</summary>
public readonly record struct RateSample(float EnqueueRate, float DequeueRate, long Pending);

/// <summary>A broker's destinations at one poll: what the monitor samples and diffs.</summary>
internal sealed record BrokerDestinations(string Broker, IReadOnlyList<DestinationStatistics> Destinations);
