namespace Broker.Replication;

/// <summary>When a persistent send's receipt may go out, with a slave attached.</summary>
public enum ReplicationAckMode
{
    /// <summary>Once the record is on disk on the master and on the slave.</summary>
    Durable,

    /// <summary>Once the slave has it in memory.</summary>
    Received,

    /// <summary>Without waiting for the slave.</summary>
    Local,
}

/// <summary>What a master does with persistent messages while no slave is in sync.</summary>
public enum UnprotectedPolicy
{
    /// <summary>Accept them (ActiveMQ's behaviour); the API and log count what is not replicated.</summary>
    Continue,

    /// <summary>Refuse them with an ERROR until a slave is in sync again.</summary>
    RefusePersistent,
}

/// <summary>The seed's <c>&lt;masterConnector remoteURI=... userName=... password=.../&gt;</c>.</summary>
public sealed class MasterConnectorOptions
{
    public string RemoteUri { get; set; } = "";

    public string? UserName { get; set; }

    public string? Password { get; set; }
}

/// <summary>The pure master/slave settings of one broker, bound from <c>Brokers:&lt;name&gt;</c> beside its other options.</summary>
public sealed class ReplicationOptions
{
    /// <summary>Makes this broker a slave of the master at this URI (its client connector).</summary>
    public string? MasterConnectorUri { get; set; }

    /// <summary>The same with credentials; setting both forms is a configuration error.</summary>
    public MasterConnectorOptions? MasterConnector { get; set; }

    /// <summary>
    /// Pins the master's TLS certificate (an <c>ssl://</c> master URI): its SHA-256 or SHA-1 thumbprint in hex. Only
    /// that certificate is accepted; its issuer and host names are not checked. Unset: see <see cref="MasterCaFile"/>.
    /// </summary>
    public string? MasterCertificateThumbprint { get; set; }

    /// <summary>
    /// A PEM file of the CA certificates that issue the master's TLS certificate, trusted instead of the system
    /// store (which is used when neither this nor <see cref="MasterCertificateThumbprint"/> is set); the host name
    /// of the master's URI is checked either way.
    /// </summary>
    public string? MasterCaFile { get; set; }

    public bool ShutdownOnMasterFailure { get; set; }

    public bool WaitForSlave { get; set; }

    public TimeSpan WaitForSlaveTimeout { get; set; } = TimeSpan.FromSeconds(600);

    public bool ShutdownOnSlaveFailure { get; set; }

    public ReplicationAckMode ReplicationAck { get; set; } = ReplicationAckMode.Durable;

    /// <summary>A slave that leaves an ack waiting this long is detached, so sends never hang on it.</summary>
    public TimeSpan ReplicationAckTimeout { get; set; } = TimeSpan.FromSeconds(2);

    public UnprotectedPolicy WhenUnprotected { get; set; } = UnprotectedPolicy.Continue;

    /// <summary>A slave that hears nothing from its master this long considers it failed (heart-beats flow at a quarter of it).</summary>
    public TimeSpan MasterTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The partner's HTTP address, asked before opening connectors who is master (fencing).</summary>
    public string? Peer { get; set; }

    public TimeSpan PeerTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A former master that rejoined as slave may take its role back by a planned switchover.</summary>
    public bool AllowFailback { get; set; }

    public bool IsSlave => MasterConnectorUri is not null || MasterConnector is not null;

    /// <summary>These settings for a broker that (re)joins <paramref name="masterUri"/> as its slave.</summary>
    public ReplicationOptions AsSlaveOf(string masterUri)
    {
        var copy = (ReplicationOptions)MemberwiseClone();
        copy.MasterConnectorUri = masterUri;
        copy.MasterConnector = null;
        copy.WaitForSlave = false;
        return copy;
    }

    public string? MasterUri => MasterConnector?.RemoteUri ?? MasterConnectorUri;
}
