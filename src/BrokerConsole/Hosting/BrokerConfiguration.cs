using System.Text.RegularExpressions;
using Broker.Core;
using Broker.Replication;
using Broker.Server;
using Broker.Core.Connections;

namespace BrokerConsole.Hosting;

/// <summary>
/// Reads <c>Brokers:*</c>: a broker with <c>Enabled: false</c> is skipped before anything else is looked at;
/// every other one is checked key by key (an unknown key is an error, so a typo is not silently ignored; the
/// known keys are the properties of <see cref="BrokerSectionTypes"/>), bound and validated. Relative paths are
/// made absolute against the content root. Problems are added to the caller's list, each naming its key and value.
/// </summary>
public static partial class BrokerConfiguration
{
    /// <summary>The options classes bound from each <c>Brokers:&lt;name&gt;</c> section; their properties are its keys (with <c>Tls</c>).</summary>
    private static readonly Type[] BrokerSectionTypes = [typeof(BrokerOptions), typeof(ReplicationOptions), typeof(HaSettings)];

    private static readonly Dictionary<string, Type> BrokerSubsections = new() { ["Tls"] = typeof(TlsOptions) };

    public static IReadOnlyList<BrokerDefinition> Load(IConfiguration configuration, string contentRoot,
        ReplicationLoginOptions login, List<string> errors)
    {
        var brokers = new List<BrokerDefinition>();
        var section = configuration.GetSection("Brokers");
        if (section.Value is { Length: > 0 } && !section.GetChildren().Any())
        {
            errors.Add($"Brokers: '{section.Value}' is a single value; expected a section of named brokers");
        }
        foreach (var broker in section.GetChildren())
        {
            if (broker["Enabled"] is { } enabled && bool.TryParse(enabled, out var isEnabled) && !isEnabled)
            {
                continue;
            }
            if (TryLoad(broker, contentRoot, errors) is { } definition)
            {
                if (definition.HaMode == HaMode.Database)
                {
                    definition = definition with { ConnectionString = Database(broker.Key, "") };
                }
                if (definition.HaSettings.Witness is { Length: > 0 } witness)
                {
                    definition = definition with { WitnessConnectionString = Database(witness, $" (the Witness of {broker.Path})") };
                }
                brokers.Add(definition with { ReplicationUser = login.UserName, ReplicationPassword = login.Password });
            }
        }
        return brokers;

        // A PostgreSQL database named in ConnectionStrings; a missing or malformed one is an error naming its key.
        string? Database(string entry, string whose)
        {
            var connectionString = configuration.GetConnectionString(entry);
            if (DatabaseSettings.Problem(connectionString) is { } problem)
            {
                errors.Add($"ConnectionStrings:{entry}{whose}: {problem}");
            }
            return connectionString;
        }
    }

    private static BrokerDefinition? TryLoad(IConfigurationSection section, string contentRoot, List<string> errors)
    {
        var name = section.Key;
        var key = section.Path;
        if (!BrokerNamePattern().IsMatch(name))
        {
            errors.Add($"{key}: broker name '{name}' must be 1-64 letters, digits, '-', '_' or '.'");
        }
        if (!SettingsCheck.Section(section, BrokerSectionTypes, errors, BrokerSubsections))
        {
            // Values that do not convert cannot be bound (unknown keys can: the range checks below still run).
            return null;
        }
        var options = new BrokerOptions();
        section.Bind(options);
        var replication = new ReplicationOptions();
        section.Bind(replication);
        if (string.IsNullOrWhiteSpace(replication.MasterConnectorUri))
        {
            // An empty value unsets the file's (--Brokers:amq1S:MasterConnectorUri= makes the default slave a broker of its own).
            replication.MasterConnectorUri = null;
        }
        var tls = section.GetSection("Tls").Exists() ? section.GetSection("Tls").Get<TlsOptions>() : null;
        if (!string.IsNullOrWhiteSpace(options.DataDirectory))
        {
            options.DataDirectory = HostConfiguration.ResolvePath(contentRoot, options.DataDirectory);
        }
        if (tls is not null)
        {
            CheckCertificate(tls, contentRoot, $"{key}:Tls", errors);
        }
        var connectors = new List<ConnectorUri>();
        for (var i = 0; i < options.Connectors.Count; i++)
        {
            if (ConnectorUri.TryParse(options.Connectors[i], out var uri, out var error))
            {
                connectors.Add(uri);
                if (uri.Tls && string.IsNullOrEmpty(tls?.CertificatePath))
                {
                    errors.Add($"{key}:Connectors:{i}: '{uri.Text}' is a TLS connector but {key}:Tls:CertificatePath is not set");
                }
            }
            else
            {
                errors.Add($"{key}:Connectors:{i}: {error}");
            }
        }
        if (string.IsNullOrWhiteSpace(options.DataDirectory))
        {
            errors.Add($"{key}:DataDirectory: is required (for example \"data/{name}\")");
        }
        Positive(options.MaxRedeliveries, "MaxRedeliveries", allowZero: true);
        Positive(options.DefaultPrefetch, "DefaultPrefetch");
        Positive(options.MaxPrefetch, "MaxPrefetch");
        Positive(options.MaxConnections, "MaxConnections");
        Positive(options.MaxDestinations, "MaxDestinations");
        Positive(options.MaxSubscriptionsPerConnection, "MaxSubscriptionsPerConnection");
        Positive(options.MaxTransactionsPerConnection, "MaxTransactionsPerConnection");
        Positive(options.MaxTransactionSize, "MaxTransactionSize");
        Positive(options.TopicPendingLimit, "TopicPendingLimit");
        Positive(options.MemoryLimit, "MemoryLimit");
        Positive(options.StoreLimit, "StoreLimit", allowZero: true);
        if (options.InactiveDestinationTimeout < TimeSpan.Zero)
        {
            errors.Add($"{key}:InactiveDestinationTimeout: '{section["InactiveDestinationTimeout"]}' must be zero (keep every destination) or more");
        }
        if (replication.MasterConnectorUri is not null && replication.MasterConnector is not null)
        {
            errors.Add($"{key}: MasterConnectorUri and MasterConnector are both set; use one of them");
        }
        if (replication.MasterUri is { } masterUri && !ConnectorUri.TryParse(masterUri, out _, out var masterError))
        {
            errors.Add($"{key}:{(replication.MasterConnector is null ? "MasterConnectorUri" : "MasterConnector:RemoteUri")}: {masterError}");
        }
        errors.AddRange(MasterCertificatePolicy.Problems(replication).Select(problem => $"{key}:{problem}"));
        if (replication.IsSlave && replication.WaitForSlave)
        {
            errors.Add($"{key}:WaitForSlave: a slave does not wait for a slave (it has MasterConnectorUri)");
        }
        Duration(replication.MasterTimeout, "MasterTimeout");
        Duration(replication.ReplicationAckTimeout, "ReplicationAckTimeout");
        Duration(replication.WaitForSlaveTimeout, "WaitForSlaveTimeout");
        Duration(replication.PeerTimeout, "PeerTimeout", allowZero: true);
        Duration(options.ProducerIdleTimeout, "ProducerIdleTimeout", allowZero: true);
        Duration(options.TransactionOutcomeRetention, "TransactionOutcomeRetention", allowZero: true);
        Duration(options.AckFlushDelay, "AckFlushDelay", allowZero: true);
        if (options.AckFlushDelay > TimeSpan.FromSeconds(10))
        {
            errors.Add($"{key}:AckFlushDelay: '{section["AckFlushDelay"]}' is above 10 s (a crash would deliver again everything acknowledged within it)");
        }
        if (replication.Peer is { } peer
            && !(Uri.TryCreate(peer, UriKind.Absolute, out var peerUri) && peerUri.Scheme is "http" or "https"))
        {
            errors.Add($"{key}:Peer: '{peer}' is not the partner host's HTTP address (for example http://host:8161)");
        }
        if (options.JournalSegmentSize < 64 * 1024)
        {
            errors.Add($"{key}:JournalSegmentSize: '{section["JournalSegmentSize"]}' must be at least 65536 bytes");
        }
        if (options.DefaultPrefetch > options.MaxPrefetch)
        {
            errors.Add($"{key}:DefaultPrefetch: {options.DefaultPrefetch} is above {key}:MaxPrefetch ({options.MaxPrefetch})");
        }
        var ha = new HaSettings();
        section.Bind(ha);
        if (ha.Witness is not null && ha.HaMode != HaMode.Replicated)
        {
            errors.Add($"{key}:Witness: only a pure pair (HaMode Replicated) has a witness; a shared store's own lock decides who serves");
        }
        if (ha.Witness is not null && ha.HaMode == HaMode.Replicated)
        {
            Duration(ha.LeaseDuration, "LeaseDuration");
            Duration(ha.LeaseRenewal, "LeaseRenewal");
            Duration(ha.LockAcquireSleepInterval, "LockAcquireSleepInterval");
        }
        if (ha.HaMode is HaMode.SharedFileSystem or HaMode.Database)
        {
            if (replication.IsSlave)
            {
                errors.Add($"{key}:HaMode: {ha.HaMode} brokers wait for the shared store's {(ha.HaMode == HaMode.Database ? "lease" : "lock")}; remove MasterConnectorUri / MasterConnector");
            }
            if (replication.WaitForSlave || replication.Peer is not null)
            {
                errors.Add($"{key}:HaMode: {ha.HaMode} has no replication link; remove WaitForSlave and Peer");
            }
            Duration(ha.LockAcquireSleepInterval, "LockAcquireSleepInterval");
            Duration(ha.LockKeepAlivePeriod, "LockKeepAlivePeriod");
            Duration(ha.LeaseDuration, "LeaseDuration");
            Duration(ha.LeaseRenewal, "LeaseRenewal");
        }
        if ((ha.Witness is not null || ha.HaMode == HaMode.Database) && ha.LeaseRenewal * 2 > ha.LeaseDuration)
        {
            errors.Add($"{key}:LeaseRenewal: {ha.LeaseRenewal} must be at most half of LeaseDuration ({ha.LeaseDuration}), so one late renewal does not lose the lease");
        }
        return new BrokerDefinition(name, options, connectors, tls, replication, Ha: ha);

        void Positive(long value, string option, bool allowZero = false)
        {
            if (value < 0 || (value == 0 && !allowZero))
            {
                errors.Add($"{key}:{option}: '{section[option]}' must be {(allowZero ? "zero or more" : "above zero")}");
            }
        }

        void Duration(TimeSpan value, string option, bool allowZero = false)
        {
            if (value < TimeSpan.Zero || (value == TimeSpan.Zero && !allowZero))
            {
                errors.Add($"{key}:{option}: '{section[option]}' must be {(allowZero ? "zero or more" : "above zero")}");
            }
        }
    }

    /// <summary>Makes the TLS paths absolute and opens the certificate once, so a wrong path or password stops start-up naming the key.</summary>
    private static void CheckCertificate(TlsOptions tls, string contentRoot, string key, List<string> errors)
    {
        if (string.IsNullOrEmpty(tls.CertificatePath))
        {
            return;
        }
        tls.CertificatePath = HostConfiguration.ResolvePath(contentRoot, tls.CertificatePath);
        if (tls.KeyPath is { Length: > 0 })
        {
            tls.KeyPath = HostConfiguration.ResolvePath(contentRoot, tls.KeyPath);
        }
        if (!File.Exists(tls.CertificatePath))
        {
            errors.Add($"{key}:CertificatePath: file '{tls.CertificatePath}' does not exist");
            return;
        }
        if (tls.KeyPath is { Length: > 0 } && !File.Exists(tls.KeyPath))
        {
            errors.Add($"{key}:KeyPath: file '{tls.KeyPath}' does not exist");
            return;
        }
        try
        {
            using var certificate = tls.Load();
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or ArgumentException or IOException)
        {
            var which = tls.KeyPath is { Length: > 0 } ? "CertificatePath/KeyPath (PEM)" : "CertificatePath/CertificatePassword (PKCS#12)";
            errors.Add($"{key}:{which}: '{tls.CertificatePath}' cannot be opened: {e.Message}");
        }
    }

    [GeneratedRegex("^[A-Za-z0-9_.-]{1,64}$")]
    private static partial Regex BrokerNamePattern();
}

/// <summary>The configuration cannot run: every problem found, one per line.</summary>
public sealed class BrokerConfigurationException(IReadOnlyList<string> errors)
    : Exception("Invalid configuration:" + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(e => "  " + e)))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}
