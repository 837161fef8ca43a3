using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Broker.Core.Events;
using BrokerConsole.Api;
using BrokerConsole.Monitoring;

namespace BrokerConsole.Components.Tests;

/// <summary>An <see cref="IMonitorSource"/> the test drives: whatever is written to the channels reaches the page.</summary>
internal sealed class FakeMonitorSource : IMonitorSource
{
    private int _watchers;

    public Channel<IReadOnlyList<BrokerView>> Brokers { get; } = Channel.CreateUnbounded<IReadOnlyList<BrokerView>>();

    public Channel<IReadOnlyList<BrokerEvent>> Events { get; } = Channel.CreateUnbounded<IReadOnlyList<BrokerEvent>>();

    public IReadOnlyList<BrokerEvent> EventSnapshot { get; set; } = [];

    /// <summary>What every <see cref="WatchDestinations"/> call reads, whatever the broker; write a snapshot first.</summary>
    public Channel<DestinationChanges> Destinations { get; } = Channel.CreateUnbounded<DestinationChanges>();

    /// <summary>The history returned for any broker or destination.</summary>
    public IReadOnlyList<RateSample> History { get; set; } = [];

    /// <summary>The broker the last <see cref="WatchDestinations"/> call asked for.</summary>
    public string? WatchedBroker { get; private set; }

    /// <summary>Subscriptions currently open; a disposed page must leave none behind.</summary>
    public int Watchers => Volatile.Read(ref _watchers);

    public IAsyncEnumerable<IReadOnlyList<BrokerView>> WatchBrokers(CancellationToken cancellationToken) => Read(Brokers.Reader, cancellationToken);

    public (IReadOnlyList<BrokerEvent> Snapshot, IAsyncEnumerable<IReadOnlyList<BrokerEvent>> Changes) WatchEvents(CancellationToken cancellationToken) =>
        (EventSnapshot, Read(Events.Reader, cancellationToken));

    public IReadOnlyList<string> BrokerNames() => ["b1"];

    public IAsyncEnumerable<DestinationChanges> WatchDestinations(string broker, CancellationToken cancellationToken)
    {
        WatchedBroker = broker;
        return Read(Destinations.Reader, cancellationToken);
    }

    public IReadOnlyList<RateSample> BrokerHistory(string broker) => History;

    public IReadOnlyList<RateSample> DestinationHistory(string broker, string kind, string name) => History;

    private async IAsyncEnumerable<T> Read<T>(ChannelReader<T> reader, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _watchers);
        try
        {
            await foreach (var item in reader.ReadAllAsync(cancellationToken))
            {
                yield return item;
            }
        }
        finally
        {
            Interlocked.Decrement(ref _watchers);
        }
    }

    public static BrokerView Broker(string name, string state = "master unprotected", long connections = 0) => new(
        name, "master", state, 3, [new ConnectorView("tcp://127.0.0.1:61613", 61613, true)], 10, connections,
        new UsageView(1 << 20, 256L << 20), new UsageView(0, 1L << 30),
        new Broker.Server.ReplicationStatus("in sync", "amq1S", true, 100, 100, 0, 0, 0, 0, 0));

    public static BrokerEvent Event(string broker, BrokerEventKind kind, string detail) => new(DateTimeOffset.UtcNow, broker, kind, detail);

    public static DestinationRow Row(string name, long pending = 0, string kind = "queue", int consumers = 0, double rate = 0, long inFlight = 0) =>
        new(name, kind, pending, consumers, pending, 0, inFlight, rate, 0);
}
