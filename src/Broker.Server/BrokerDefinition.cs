using Broker.Core;
using Broker.Core.Connections;

namespace Broker.Server;

/// <summary>A configured, validated broker: its name, options and parsed connectors.</summary>
public sealed record BrokerDefinition(
    string Name,
    BrokerOptions Options,
    IReadOnlyList<ConnectorUri> Connectors,
    TlsOptions? Tls,
    Broker.Replication.ReplicationOptions Replication,
    string? ReplicationUser = null,
    string? ReplicationPassword = null,
    HaSettings? Ha = null,
    string? ConnectionString = null,
    string? WitnessConnectionString = null)
{
    /// <summary>How this broker becomes master.</summary>
    public HaSettings HaSettings { get; } = Ha ?? new HaSettings();

    public HaMode HaMode => HaSettings.HaMode;

    /// <summary>
    /// Names the broker only: <c>ConnectionString</c> (the database of <see cref="HaMode.Database"/>, from
    /// <c>ConnectionStrings:&lt;name&gt;</c>), <c>WitnessConnectionString</c> (<c>ConnectionStrings:&lt;Witness&gt;</c>)
    /// and the replication password are never written to a log.
    /// </summary>
    public override string ToString() => $"BrokerDefinition {{ Name = {Name}, HaMode = {HaMode} }}";
}

/// <summary>The certificate of a broker's <c>ssl://</c> connectors: a PKCS#12 file, or a PEM certificate with its key.</summary>
public sealed class TlsOptions
{
    public string CertificatePath { get; set; } = "";

    public string? CertificatePassword { get; set; }

    /// <summary>The PEM private key, when <see cref="CertificatePath"/> is a PEM certificate.</summary>
    public string? KeyPath { get; set; }

    /// <summary>Opens the certificate with its private key (PEM with <see cref="KeyPath"/>, else PKCS#12).</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2 Load() => KeyPath is { Length: > 0 } keyPath
        ? System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(CertificatePath, keyPath)
        : System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadPkcs12FromFile(CertificatePath, CertificatePassword);
}

/// <summary>The checks of <see cref="HaMode.Database"/>'s settings that need the database driver.</summary>
public static class DatabaseSettings
{
    /// <summary>Why <paramref name="connectionString"/> cannot be a broker's database, or null when it can.</summary>
    public static string? Problem(string? connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return "is missing (HaMode Database reads the broker's database from ConnectionStrings:<broker name>)";
        }
        try
        {
            var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
            return string.IsNullOrEmpty(builder.Host) ? "names no Host" : null;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException)
        {
            // The message of a malformed string never repeats the string (it may hold a password).
            return "is not a PostgreSQL connection string (Host=...;Database=...;Username=...;Password=...)";
        }
    }
}
