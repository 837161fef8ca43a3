using Broker.Core.Messages;

namespace Broker.Core.Destinations;

/// <summary>A destination's counters at one moment (the API's and console's destination row).</summary>
public sealed record DestinationStatistics(
    string Name,
    DestinationKind Kind,
    long Pending,
    int Consumers,
    long Enqueued,
    long Dequeued,
    long InFlight);
