using System.Text.RegularExpressions;
using Broker.Core;
using Broker.Replication;
using Broker.Server;
using Broker.Core.Connections;

namespace BrokerConsole.Hosting;

/// <summary>
/// Reads <c>Brokers:*</c>: a broker with <c>Enabled: false</c> is skipped before anything else is looked at;
/// every other one is bound strictly (an unknown key is an error, so a typo is not silently ignored) and
/// validated. All problems are collected and reported together, each naming its key and value.
/// </summary>
public static partial class BrokerConfiguration
{
    public static IReadOnlyList<BrokerDefinition> Load(IConfiguration configuration)
    {
        var errors = new List<string>();
        var brokers = new List<BrokerDefinition>();
        foreach (var section in configuration.GetSection("Brokers").GetChildren())
        {
            if (section["Enabled"] is { } enabled && bool.TryParse(enabled, out var isEnabled) && !isEnabled)
            {
                continue;
            }
            if (TryLoad(section, errors) is { } broker)
            {
                brokers.Add(broker with
                {
                    ReplicationUser = configuration["Replication:UserName"],
                    ReplicationPassword = configuration["Replication:Password"],
                });
            }
        }
        if (errors.Count > 0)
        {
            throw new BrokerConfigurationException(errors);
        }
        return brokers;
    }

    private static BrokerDefinition? TryLoad(IConfigurationSection section, List<string> errors)
    {
        var name = section.Key;
        var key = section.Path;
        if (!BrokerNamePattern().IsMatch(name))
        {
            errors.Add($"{key}: broker name '{name}' must be 1-64 letters, digits, '-', '_' or '.'");
        }
        BrokerOptions options;
        TlsOptions? tls;
        ReplicationOptions replication;
        try
        {
            options = new BrokerOptions();
            section.Bind(options, b => b.ErrorOnUnknownConfiguration = false);
            replication = new ReplicationOptions();
            section.Bind(replication, b => b.ErrorOnUnknownConfiguration = false);
            CheckUnknownKeys(section, errors);
            tls = section.GetSection("Tls").Exists() ? section.GetSection("Tls").Get<TlsOptions>(b => b.ErrorOnUnknownConfiguration = true) : null;
        }
        catch (InvalidOperationException e)
        {
            errors.Add($"{key}: {e.Message}");
            return null;
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
        if (tls is not null && !string.IsNullOrEmpty(tls.CertificatePath) && !File.Exists(tls.CertificatePath))
        {
            errors.Add($"{key}:Tls:CertificatePath: file '{tls.CertificatePath}' does not exist");
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
        if (replication.MasterTimeout <= TimeSpan.Zero || replication.ReplicationAckTimeout <= TimeSpan.Zero)
        {
            errors.Add($"{key}: MasterTimeout and ReplicationAckTimeout must be above zero");
        }
        if (options.JournalSegmentSize < 64 * 1024)
        {
            errors.Add($"{key}:JournalSegmentSize: '{section["JournalSegmentSize"]}' must be at least 65536 bytes");
        }
        if (options.DefaultPrefetch > options.MaxPrefetch)
        {
            errors.Add($"{key}:DefaultPrefetch: {options.DefaultPrefetch} is above {key}:MaxPrefetch ({options.MaxPrefetch})");
        }
        var haMode = HaMode.Replicated;
        if (section["HaMode"] is { } mode && !Enum.TryParse(mode, ignoreCase: true, out haMode))
        {
            errors.Add($"{key}:HaMode: '{mode}' is not a way to run a pair (allowed: {string.Join(", ", Enum.GetNames<HaMode>())})");
        }
        return new BrokerDefinition(name, options, connectors, tls, replication, HaMode: haMode);

        void Positive(long value, string option, bool allowZero = false)
        {
            if (value < 0 || (value == 0 && !allowZero))
            {
                errors.Add($"{key}:{option}: '{section[option]}' must be {(allowZero ? "zero or more" : "above zero")}");
            }
        }
    }

    /// <summary>A key the options do not know is most likely a typo: say which.</summary>
    private static void CheckUnknownKeys(IConfigurationSection section, List<string> errors)
    {
        var known = typeof(BrokerOptions).GetProperties().Concat(typeof(ReplicationOptions).GetProperties())
            .Where(p => p.CanWrite).Select(p => p.Name).Append("Tls").Append("HaMode").ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var child in section.GetChildren())
        {
            if (!known.Contains(child.Key))
            {
                errors.Add($"{child.Path}: unknown setting (known: {string.Join(", ", known.Order())})");
            }
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
