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
    HaSettings? Ha = null)
{
    /// <summary>How this broker becomes master.</summary>
    public HaSettings HaSettings { get; } = Ha ?? new HaSettings();

    public HaMode HaMode => HaSettings.HaMode;
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
