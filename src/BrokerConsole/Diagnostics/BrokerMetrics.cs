using System.Diagnostics.Metrics;
using BrokerConsole.Hosting;

namespace BrokerConsole.Diagnostics;

/// <summary>
/// The brokers' counters and gauges as <see cref="System.Diagnostics.Metrics"/> instruments (meter
/// <c>BrokerConsole</c>), read on demand so an idle scraper costs the brokers nothing.
/// </summary>
public sealed class BrokerMetrics : IDisposable
{
    public const string MeterName = "BrokerConsole";
    private readonly Meter _meter;

    public BrokerMetrics(IMeterFactory meters, BrokerRegistry registry)
    {
        _meter = meters.Create(MeterName);
        IEnumerable<Measurement<long>> PerBroker(Func<HostedBroker, long> read) =>
            registry.All.Select(b => new Measurement<long>(read(b), new KeyValuePair<string, object?>("broker", b.Name)));
        _meter.CreateObservableGauge("broker.connections", () => PerBroker(b => b.Broker.Counters.Connections), description: "Open client connections");
        _meter.CreateObservableCounter("broker.connections.refused", () => PerBroker(b => b.Broker.Counters.ConnectionsRefused),
            description: "Connections refused at the door (MaxConnections, Stomp:MaxUnauthenticatedPerAddress)");
        _meter.CreateObservableCounter("broker.messages.in", () => PerBroker(b => b.Broker.Counters.MessagesIn), description: "Messages accepted");
        _meter.CreateObservableCounter("broker.messages.out", () => PerBroker(b => b.Broker.Counters.MessagesOut), description: "Messages delivered");
        _meter.CreateObservableCounter("broker.bytes.in", () => PerBroker(b => b.Broker.Counters.BytesIn), unit: "By", description: "Bytes received from clients");
        _meter.CreateObservableCounter("broker.bytes.out", () => PerBroker(b => b.Broker.Counters.BytesOut), unit: "By", description: "Message body bytes delivered");
        _meter.CreateObservableGauge("broker.memory.used", () => PerBroker(b => b.Broker.Memory.Used), unit: "By", description: "Message bytes held in memory");
        _meter.CreateObservableGauge("broker.destination.pending", () => registry.All.SelectMany(b => b.Broker.GetDestinations().Select(d =>
            new Measurement<long>(d.Pending,
                new KeyValuePair<string, object?>("broker", b.Name),
                new KeyValuePair<string, object?>("destination", d.Name),
                new KeyValuePair<string, object?>("kind", d.Kind.ToString().ToLowerInvariant())))),
            description: "Messages waiting per destination");
    }

    public void Dispose() => _meter.Dispose();
}
