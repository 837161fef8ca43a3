using System.Net.Security;
using System.Runtime.CompilerServices;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Broker.Replication;

/// <summary>
/// Which certificate a slave accepts from its master over <c>ssl://</c>, as any TLS client would: by default one
/// the system store trusts, issued for the host name of the master's URI; with <see cref="ReplicationOptions.MasterCaFile"/>
/// one that chains to a CA of that PEM file (and names the host); with <see cref="ReplicationOptions.MasterCertificateThumbprint"/>
/// exactly that certificate (SHA-256 or SHA-1), whatever its issuer and names. Anyone on the path could
/// otherwise pose as the master and feed the slave.
/// </summary>
public sealed class MasterCertificatePolicy
{
    private readonly string? _thumbprint;
    private readonly string? _caFile;
    private readonly X509Certificate2Collection _authorities = [];

    private MasterCertificatePolicy(string? thumbprint, string? caFile)
    {
        _thumbprint = thumbprint;
        _caFile = caFile;
        if (caFile is not null)
        {
            _authorities.ImportFromPemFile(caFile);
        }
    }

    /// <summary>The policy <paramref name="options"/> name (they were validated at start-up, see <see cref="Problems"/>).</summary>
    internal static MasterCertificatePolicy For(ReplicationOptions options) =>
        new(options.MasterCertificateThumbprint is { } pin ? Normalize(pin) : null, options.MasterCaFile);

    /// <summary>What is wrong with these settings, each starting with the key it names.</summary>
    public static IEnumerable<string> Problems(ReplicationOptions options)
    {
        if (options.MasterCertificateThumbprint is not null && options.MasterCaFile is not null)
        {
            yield return "MasterCertificateThumbprint: set it or MasterCaFile, not both (a pinned certificate needs no CA)";
        }
        if (options.MasterCertificateThumbprint is { } pin && Normalize(pin) is var hex && (hex.Length is not (40 or 64) || !IsHex(hex)))
        {
            yield return $"MasterCertificateThumbprint: '{pin}' is not a certificate thumbprint (64 hex digits for SHA-256, 40 for SHA-1; ':' and spaces allowed)";
        }
        if (options.MasterCaFile is { } file)
        {
            if (!File.Exists(file))
            {
                yield return $"MasterCaFile: file '{file}' does not exist";
            }
            else if (CountCertificates(file) is var (count, error) && count == 0)
            {
                yield return $"MasterCaFile: '{file}' holds no PEM certificate{(error is null ? "" : $" ({error})")}";
            }
        }
    }

    /// <summary>What this slave accepts, for the log line of a refusal.</summary>
    internal string Expected(string host) =>
        _thumbprint is not null ? $"the certificate with {(_thumbprint.Length == 64 ? "SHA-256" : "SHA-1")} thumbprint {_thumbprint} (MasterCertificateThumbprint)"
        : _caFile is not null ? $"a certificate for '{host}' issued by a CA of {_caFile} (MasterCaFile)"
        : $"a certificate for '{host}' trusted by the system store";

    /// <summary>The TLS client options of one connection to the master at <paramref name="host"/>; a refusal is kept in <paramref name="refusal"/>.</summary>
    internal SslClientAuthenticationOptions ClientOptions(string host, StrongBox<string?> refusal) => new()
    {
        TargetHost = host,
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
        {
            refusal.Value = Check(certificate, chain, errors);
            return refusal.Value is null;
        },
    };

    /// <returns>Null when the certificate is accepted; otherwise what was presented and why it is refused.</returns>
    private string? Check(X509Certificate? presented, X509Chain? chain, SslPolicyErrors errors)
    {
        if (presented is null)
        {
            return "no certificate";
        }
        var certificate = presented as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
        var sha256 = Convert.ToHexString(certificate.GetCertHash(HashAlgorithmName.SHA256));
        var description = $"subject '{certificate.Subject}', issuer '{certificate.Issuer}', SHA-256 {sha256}, SHA-1 {certificate.Thumbprint}";
        if (_thumbprint is not null)
        {
            // Pinned: exactly this certificate, so its issuer and names do not matter.
            var matches = _thumbprint.Length == 64 ? _thumbprint == sha256 : _thumbprint == certificate.Thumbprint;
            return matches ? null : $"{description}: another certificate";
        }
        var problems = new List<string>();
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            problems.Add("not issued for this host name");
        }
        if (_caFile is not null)
        {
            if (!ChainsToAuthority(certificate, chain, out var status))
            {
                problems.Add($"not issued by a CA of {_caFile} ({status})");
            }
        }
        else if (errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors))
        {
            problems.Add($"not trusted ({Status(chain)})");
        }
        return problems.Count == 0 ? null : $"{description}: {string.Join("; ", problems)}";
    }

    /// <summary>Builds the chain again with only the CA file's certificates as roots (and what the master sent as intermediates).</summary>
    private bool ChainsToAuthority(X509Certificate2 certificate, X509Chain? presented, out string status)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.CustomTrustStore.AddRange(_authorities);
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements.Skip(1))
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }
        var built = chain.Build(certificate);
        status = Status(chain);
        return built;
    }

    private static string Status(X509Chain? chain) =>
        chain is null || chain.ChainStatus.Length == 0 ? "no chain" : string.Join(", ", chain.ChainStatus.Select(s => s.Status));

    private static string Normalize(string thumbprint) =>
        string.Concat(thumbprint.Where(c => c is not (':' or ' ' or '-'))).ToUpperInvariant();

    private static bool IsHex(string text) => text.All(Uri.IsHexDigit);

    private static (int Count, string? Error) CountCertificates(string file)
    {
        try
        {
            var certificates = new X509Certificate2Collection();
            certificates.ImportFromPemFile(file);
            return (certificates.Count, null);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            return (0, e.Message);
        }
    }
}

/// <summary>The master presented a certificate this slave does not accept: its message says what was expected and what came.</summary>
public sealed class MasterCertificateRejectedException(string expected, string presented)
    : AuthenticationException($"the master's certificate is refused: expected {expected}; presented {presented}")
{
    public string Expected { get; } = expected;

    public string Presented { get; } = presented;
}
