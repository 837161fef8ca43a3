namespace Broker.Core;

/// <summary>What happens to a topic subscriber that falls behind <see cref="BrokerOptions.TopicPendingLimit"/>.</summary>
public enum SlowConsumerPolicy
{
    /// <summary>The subscriber gets an ERROR and its connection is closed.</summary>
    Disconnect,

    /// <summary>The subscriber loses its oldest waiting messages; the losses are counted.</summary>
    DropOldest,
}

/// <summary>One broker's settings, bound from <c>Brokers:&lt;name&gt;</c>. Defaults live here and only here.</summary>
public sealed class BrokerOptions
{
    public bool Enabled { get; set; } = true;

    /// <summary>Client connector URIs: <c>tcp://</c>, <c>stomp://</c>, <c>ssl://</c>, <c>stomp+ssl://</c>.</summary>
    public List<string> Connectors { get; set; } = [];

    public string DataDirectory { get; set; } = "";

    /// <summary>Deliveries after the first before a message moves to <c>DLQ.&lt;queue&gt;</c> (ActiveMQ's default).</summary>
    public int MaxRedeliveries { get; set; } = 6;

    public int DefaultPrefetch { get; set; } = 1000;

    public int MaxPrefetch { get; set; } = 32_768;

    public int MaxConnections { get; set; } = 1000;

    public int MaxDestinations { get; set; } = 100_000;

    /// <summary>
    /// How long a destination may stay with no consumer, no message and no durable subscription before it is
    /// removed (journaled, so restarts and the slave agree); <see cref="TimeSpan.Zero"/> keeps every destination.
    /// On by default, unlike ActiveMQ's <c>gcInactiveDestinations</c>: destinations are created on first use, so a
    /// producer of unique names would otherwise fill <see cref="MaxDestinations"/> for good, and an empty
    /// destination costs nothing to create again. 60 s is ActiveMQ's <c>inactiveTimoutBeforeGC</c>.
    /// </summary>
    public TimeSpan InactiveDestinationTimeout { get; set; } = TimeSpan.FromSeconds(60);

    public int MaxSubscriptionsPerConnection { get; set; } = 1000;

    public int MaxTransactionsPerConnection { get; set; } = 100;

    /// <summary>Sends and acks one transaction may hold before the broker refuses more.</summary>
    public int MaxTransactionSize { get; set; } = 100_000;

    /// <summary>Messages a non-durable topic subscriber may have waiting before <see cref="SlowConsumerPolicy"/> applies.</summary>
    public int TopicPendingLimit { get; set; } = 10_000;

    public SlowConsumerPolicy SlowConsumerPolicy { get; set; } = SlowConsumerPolicy.Disconnect;

    /// <summary>Bytes of message data held in memory (bodies and headers).</summary>
    public long MemoryLimit { get; set; } = 256L * 1024 * 1024;

    /// <summary>Bytes of the message store on disk; 0 = no limit.</summary>
    public long StoreLimit { get; set; }

    /// <summary>Size of each preallocated journal segment file.</summary>
    public long JournalSegmentSize { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// Longest an acknowledgement waits to ride another write's flush before the store flushes it anyway
    /// (0: at once). A crash can redeliver what was acknowledged within it; a receipt asked on ACK never waits.
    /// </summary>
    public TimeSpan AckFlushDelay { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Start even when records before the journal's tail are damaged, skipping (and logging) them.</summary>
    public bool SkipDamagedRecords { get; set; }

    /// <summary>How long the duplicate filter remembers a producer that has gone quiet.</summary>
    public TimeSpan ProducerIdleTimeout { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long a COMMIT repeated after a reconnection is still answered with how its transaction ended.</summary>
    public TimeSpan TransactionOutcomeRetention { get; set; } = TimeSpan.FromHours(1);
}
