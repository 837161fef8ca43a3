using System.Diagnostics.Metrics;
using BrokerConsole.Hosting;

namespace BrokerConsole.Diagnostics;

/// <summary>
/// The brokers' counters and gauges as <see cref="System.Diagnostics.Metrics"/> instruments (meter
/// <c>BrokerConsole</c>), read on demand so an idle scraper costs the brokers nothing. Destinations appear as totals
/// per broker; by name only the <see cref="MetricsOptions.DestinationSeries"/> deepest, so the number of series is
/// bounded whatever the number of destinations (100,000 by default per broker).
/// </summary>
public sealed class BrokerMetrics : IDisposable
{
    public const string MeterName = "BrokerConsole";
    private readonly Meter _meter;
    private readonly BrokerRegistry _registry;
    private readonly int _destinationSeries;
    private volatile Summaries? _summaries;

    public BrokerMetrics(IMeterFactory meters, BrokerRegistry registry, MetricsOptions options)
    {
        _meter = meters.Create(MeterName);
        _registry = registry;
        _destinationSeries = options.DestinationSeries;
        IEnumerable<Measurement<long>> PerBroker(Func<HostedBroker, long> read) =>
            registry.All.Select(b => new Measurement<long>(read(b), Tag("broker", b.Name)));
        _meter.CreateObservableGauge("broker.connections", () => PerBroker(b => b.Broker.Counters.Connections), description: "Open client connections");
        _meter.CreateObservableCounter("broker.connections.refused", () => PerBroker(b => b.Broker.Counters.ConnectionsRefused),
            description: "Connections refused at the door (MaxConnections, Stomp:MaxUnauthenticatedPerAddress)");
        _meter.CreateObservableCounter("broker.messages.in", () => PerBroker(b => b.Broker.Counters.MessagesIn), description: "Messages accepted");
        _meter.CreateObservableCounter("broker.messages.out", () => PerBroker(b => b.Broker.Counters.MessagesOut), description: "Messages delivered");
        _meter.CreateObservableCounter("broker.bytes.in", () => PerBroker(b => b.Broker.Counters.BytesIn), unit: "By", description: "Bytes received from clients");
        _meter.CreateObservableCounter("broker.bytes.out", () => PerBroker(b => b.Broker.Counters.BytesOut), unit: "By", description: "Message body bytes delivered");
        _meter.CreateObservableCounter("broker.store.flushes", () => PerBroker(b => b.Lifecycle.StoreFlushes),
            description: "Flushes of the message store (journal fdatasync batches, or PostgreSQL commits) since it was opened");
        _meter.CreateObservableGauge("broker.scheduled.jobs", () => PerBroker(b => (long)b.Broker.ScheduledCount), description: "Scheduled jobs waiting to deliver (AMQ_SCHEDULED_*)");
        _meter.CreateObservableCounter("broker.scheduled.deliveries", () => PerBroker(b => b.Broker.Counters.ScheduledDeliveries), description: "Deliveries made by the scheduler");
        _meter.CreateObservableCounter("broker.scheduled.late", () => PerBroker(b => b.Broker.Counters.ScheduledLate), description: "Scheduled deliveries made more than 50 ms after their due time");
        _meter.CreateObservableGauge("broker.memory.used", () => PerBroker(b => b.Broker.Memory.Used), unit: "By", description: "Message bytes held in memory");
        _meter.CreateObservableGauge("broker.destinations", () => Current().SelectMany(s => new[]
        {
            new Measurement<long>(s.Summary.Queues, Tag("broker", s.Broker), Tag("kind", "queue")),
            new Measurement<long>(s.Summary.Topics, Tag("broker", s.Broker), Tag("kind", "topic")),
        }), description: "Queues and topics");
        _meter.CreateObservableGauge("broker.pending", () => Current().Select(s => new Measurement<long>(s.Summary.Pending, Tag("broker", s.Broker))),
            description: "Messages waiting, in all destinations");
        if (_destinationSeries == 0)
        {
            return;
        }
        _meter.CreateObservableGauge("broker.destination.pending", () => Current().SelectMany(s => s.Summary.Deepest.Select(d =>
            new Measurement<long>(d.Pending, Tag("broker", s.Broker), Tag("destination", d.Name), Tag("kind", d.Kind.ToString().ToLowerInvariant())))),
            description: $"Messages waiting, for the {_destinationSeries} deepest destinations (Metrics:DestinationSeries)");
        _meter.CreateObservableGauge("broker.destination.pending.others", () => Current().Select(s => new Measurement<long>(s.Summary.PendingElsewhere, Tag("broker", s.Broker))),
            description: "Messages waiting in the destinations without a series of their own");
    }

    /// <summary>Reads every broker's destinations once; the exporter calls it before each render, so all series agree.</summary>
    public void Refresh()
    {
        List<(string, DestinationSummary)> perBroker = [.. _registry.All.Select(b => (b.Name, DestinationSummary.Of(b.Broker.EnumerateDestinations(), _destinationSeries)))];
        // Stamped once read: a read slower than the freshness window must not make each instrument read again.
        _summaries = new Summaries(Environment.TickCount64, perBroker);
    }

    public void Dispose() => _meter.Dispose();

    /// <summary>The latest summaries; another listener than the exporter (dotnet-counters) gets them at most a few seconds old.</summary>
    private IReadOnlyList<(string Broker, DestinationSummary Summary)> Current()
    {
        if (_summaries is not { } summaries || Environment.TickCount64 - summaries.TakenAt > 5000)
        {
            Refresh();
            summaries = _summaries!;
        }
        return summaries.PerBroker;
    }

    private static KeyValuePair<string, object?> Tag(string key, string value) => new(key, value);

    private sealed record Summaries(long TakenAt, IReadOnlyList<(string Broker, DestinationSummary Summary)> PerBroker);
}
