namespace Broker.Client;

/// <summary>
/// How the client finds a broker and reconnects: the broker URIs plus ActiveMQ's failover options, with
/// ActiveMQ's names and defaults. Build one with <see cref="FailoverUri.Parse"/> from the URI users already
/// write (<c>failover:(tcp://a:61613,tcp://b:61613)?randomize=false</c>), or with <c>with</c> from <see cref="Default"/>.
/// </summary>
public sealed record FailoverOptions
{
    /// <summary>ActiveMQ's defaults, with no URI.</summary>
    public static FailoverOptions Default { get; } = new();

    /// <summary>The brokers, in the order written.</summary>
    public IReadOnlyList<BrokerEndpoint> Endpoints { get; init; } = [];

    /// <summary>False for a plain <c>tcp://</c> URI: connect once, and a lost link closes the connection.</summary>
    public bool IsFailover { get; init; } = true;

    /// <summary><c>initialReconnectDelay</c>: the delay before the second attempt (default 10 ms).</summary>
    public TimeSpan InitialReconnectDelay { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary><c>maxReconnectDelay</c>: the cap on any delay, jitter included (default 30 s).</summary>
    public TimeSpan MaxReconnectDelay { get; init; } = TimeSpan.FromMilliseconds(30000);

    /// <summary><c>useExponentialBackOff</c> (default true).</summary>
    public bool UseExponentialBackOff { get; init; } = true;

    /// <summary><c>reconnectDelayExponent</c>, alias <c>backOffMultiplier</c> (default 2.0).</summary>
    public double ReconnectDelayExponent { get; init; } = 2.0;

    /// <summary><c>maxReconnectAttempts</c>: -1 forever, 0 connect once, N reconnect attempts after the first (default -1).</summary>
    public int MaxReconnectAttempts { get; init; } = -1;

    /// <summary><c>startupMaxReconnectAttempts</c>: the limit before the first connection; -1 means <see cref="MaxReconnectAttempts"/> applies (default -1).</summary>
    public int StartupMaxReconnectAttempts { get; init; } = -1;

    /// <summary><c>randomize</c>: shuffle the URIs before each pass (default true).</summary>
    public bool Randomize { get; init; } = true;

    /// <summary><c>timeout</c>: how long a send waits for a reconnection; <see cref="System.Threading.Timeout.InfiniteTimeSpan"/> (-1) waits forever.</summary>
    public TimeSpan Timeout { get; init; } = System.Threading.Timeout.InfiniteTimeSpan;

    /// <summary><c>priorityBackup</c>: always try the priority URIs (the first one unless <see cref="PriorityUris"/>) first.</summary>
    public bool PriorityBackup { get; init; }

    /// <summary><c>priorityURIs</c>: the preferred brokers when <see cref="PriorityBackup"/> is on.</summary>
    public IReadOnlyList<BrokerEndpoint> PriorityUris { get; init; } = [];

    /// <summary><c>warnAfterReconnectAttempts</c>: log a warning every N failed attempts; 0 never (default 10).</summary>
    public int WarnAfterReconnectAttempts { get; init; } = 10;

    /// <summary>Random spread added to every back-off delay, as a fraction of it (default 0.2 = ±20 %), so a fleet of clients does not reconnect in lock-step.</summary>
    public double Jitter { get; init; } = 0.2;

    /// <summary>The endpoints preferred by <see cref="PriorityBackup"/>: <see cref="PriorityUris"/>, or else the first endpoint.</summary>
    public IReadOnlyList<BrokerEndpoint> EffectivePriorityEndpoints =>
        !PriorityBackup ? [] : PriorityUris.Count > 0 ? PriorityUris : Endpoints.Count > 0 ? [Endpoints[0]] : [];
}

/// <summary>One broker address from the URI: <c>tcp://host:port</c> (or <c>stomp://</c>, <c>ssl://</c>, <c>stomp+ssl://</c>) and its transport options.</summary>
public sealed record BrokerEndpoint
{
    /// <summary>The scheme as written, lower-cased.</summary>
    public required string Scheme { get; init; }

    /// <summary>The host name or address, never resolved by the parser.</summary>
    public required string Host { get; init; }

    /// <summary>The port (61613 when the URI omits it).</summary>
    public required int Port { get; init; }

    /// <summary>TLS for <c>ssl://</c> and <c>stomp+ssl://</c>.</summary>
    public bool UseTls => Scheme is "ssl" or "stomp+ssl";

    /// <summary><c>connectionTimeout</c> (ms) on the nested URI: how long a TCP connect may take (default 30 s).</summary>
    public TimeSpan ConnectionTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary><c>tcpNoDelay</c> (default true).</summary>
    public bool TcpNoDelay { get; init; } = true;

    /// <summary><c>keepAlive</c> (default false).</summary>
    public bool KeepAlive { get; init; }

    /// <inheritdoc/>
    public override string ToString() => $"{Scheme}://{(Host.Contains(':') ? $"[{Host}]" : Host)}:{Port}";

    /// <summary>Same broker address, whatever the options.</summary>
    public bool SameAddress(BrokerEndpoint other) =>
        Scheme == other.Scheme && Port == other.Port && string.Equals(Host, other.Host, StringComparison.OrdinalIgnoreCase);
}
