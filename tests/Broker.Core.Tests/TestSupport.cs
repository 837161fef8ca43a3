using System.Text;
using System.Threading.Channels;
using Broker.Core.Consumers;
using Broker.Core.Events;
using Broker.Core.Messages;
using Broker.Core.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace Broker.Core.Tests;

/// <summary>
/// A clock the test moves by hand; timers still come from the system, unless <see cref="FreezeTimers"/> says they
/// never fire (the test runs the broker's sweep itself).
/// </summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private long _ticks = start.UtcTicks;

    public bool FreezeTimers { get; init; }

    public ManualClock()
        : this(new DateTimeOffset(2025, 1, 1, 12, 0, 0, TimeSpan.Zero))
    {
    }

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public long NowMs => GetUtcNow().ToUnixTimeMilliseconds();

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        FreezeTimers ? new FrozenTimer() : base.CreateTimer(callback, state, dueTime, period);

    private sealed class FrozenTimer : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => true;

        public void Dispose()
        {
        }

        public ValueTask DisposeAsync() => default;
    }
}

/// <summary>Records deliveries and closures; optionally forwards deliveries to a channel for other threads.</summary>
internal sealed class RecordingSink : IDeliverySink
{
    private readonly Lock _lock = new();
    private readonly List<Delivery> _deliveries = [];
    private readonly List<string> _closures = [];
    private readonly Channel<(Consumer Consumer, Delivery Delivery)>? _channel;

    public RecordingSink(bool channel = false)
    {
        if (channel)
        {
            _channel = Channel.CreateUnbounded<(Consumer, Delivery)>();
        }
    }

    public ChannelReader<(Consumer Consumer, Delivery Delivery)> Reader =>
        _channel?.Reader ?? throw new InvalidOperationException("sink was created without a channel");

    public IReadOnlyList<Delivery> Deliveries
    {
        get { lock (_lock) { return [.. _deliveries]; } }
    }

    public IReadOnlyList<string> Bodies => [.. Deliveries.Select(d => TestMessages.Text(d.Message))];

    public IReadOnlyList<string> Closures
    {
        get { lock (_lock) { return [.. _closures]; } }
    }

    public Delivery Last => Deliveries[^1];

    public Delivery Single() => Assert.Single(Deliveries);

    public Delivery ByBody(string body) => Deliveries.Last(d => TestMessages.Text(d.Message) == body);

    public void Clear()
    {
        lock (_lock)
        {
            _deliveries.Clear();
        }
    }

    public void Deliver(Consumer consumer, Delivery delivery)
    {
        lock (_lock)
        {
            _deliveries.Add(delivery);
        }
        _channel?.Writer.TryWrite((consumer, delivery));
    }

    public void Closed(Consumer consumer, string reason)
    {
        lock (_lock)
        {
            _closures.Add(reason);
        }
    }
}

internal static class TestMessages
{
    public static Message Create(MessageBroker broker, DestinationName destination, string body, byte priority = Message.DefaultPriority,
        long expires = 0, params KeyValuePair<string, string>[] headers) => new()
    {
        MessageId = broker.NextMessageId(),
        Destination = destination,
        Body = Encoding.UTF8.GetBytes(body),
        Priority = priority,
        Timestamp = broker.Clock.GetUtcNow().ToUnixTimeMilliseconds(),
        Expires = expires,
        Headers = headers,
    };

    public static string Text(Message message) => Encoding.UTF8.GetString(message.Body.Span);
}

/// <summary>A started broker with a hand-moved clock, stopped at the end of the test.</summary>
internal sealed class TestBroker : IDisposable
{
    /// <param name="manualSweep">The broker's sweep runs only when the test calls <see cref="MessageBroker.SweepNow"/>.</param>
    public TestBroker(BrokerOptions? options = null, EventLog? events = null, IMessageStore? store = null, bool manualSweep = false)
    {
        Events = events ?? new EventLog();
        Clock = new ManualClock { FreezeTimers = manualSweep };
        Broker = new MessageBroker("b1", options ?? new BrokerOptions(), Events, NullLogger.Instance, Clock, store);
        Broker.Start();
    }

    public ManualClock Clock { get; }

    public EventLog Events { get; }

    public MessageBroker Broker { get; }

    public static DestinationName Q(string name) => DestinationName.Queue(name);

    public static DestinationName T(string name) => DestinationName.Topic(name);

    public Message Send(DestinationName destination, string body, byte priority = Message.DefaultPriority, long expires = 0)
    {
        var message = TestMessages.Create(Broker, destination, body, priority, expires);
        Broker.Send(message);
        return message;
    }

    public void SendMany(DestinationName destination, params string[] bodies)
    {
        foreach (var body in bodies)
        {
            Send(destination, body);
        }
    }

    public (Consumer Consumer, RecordingSink Sink) Subscribe(DestinationName destination, AckMode ackMode = AckMode.ClientIndividual,
        int prefetch = 1000, string? clientId = null, string? durableName = null, string owner = "conn-1",
        Func<SubscriptionOptions, SubscriptionOptions>? configure = null)
    {
        var sink = new RecordingSink();
        var options = new SubscriptionOptions
        {
            AckMode = ackMode,
            Prefetch = prefetch,
            ClientId = clientId,
            DurableName = durableName,
            Owner = owner,
        };
        var consumer = Broker.Subscribe(destination, sink, configure?.Invoke(options) ?? options);
        return (consumer, sink);
    }

    /// <summary>Sends a message with application headers (a group id, properties a selector reads).</summary>
    public Message SendWith(DestinationName destination, string body, params (string Name, string Value)[] headers)
    {
        var message = TestMessages.Create(Broker, destination, body, headers: [.. headers.Select(h => KeyValuePair.Create(h.Name, h.Value))]);
        Broker.Send(message);
        return message;
    }

    public Destinations.DestinationStatistics Stats(DestinationName destination) =>
        Broker.GetDestination(destination) ?? throw new Xunit.Sdk.XunitException($"no destination {destination}");

    public IReadOnlyList<string> BrowseBodies(string queue) => [.. Broker.Browse(queue).Select(m => TestMessages.Text(m.Message))];

    public void Dispose() => Broker.StopAsync().GetAwaiter().GetResult();
}
