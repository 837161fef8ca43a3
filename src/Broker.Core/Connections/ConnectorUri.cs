using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace Broker.Core.Connections;

/// <summary>A client connector's address: <c>tcp://</c> or <c>stomp://</c> (plain), <c>ssl://</c> or <c>stomp+ssl://</c> (TLS).</summary>
public sealed record ConnectorUri(string Text, string Host, int Port, bool Tls)
{
    public static bool TryParse(string? text, [NotNullWhen(true)] out ConnectorUri? uri, [NotNullWhen(false)] out string? error)
    {
        uri = null;
        if (string.IsNullOrWhiteSpace(text) || !Uri.TryCreate(text, UriKind.Absolute, out var parsed))
        {
            error = $"'{text}' is not a URI such as tcp://127.0.0.1:61613";
            return false;
        }
        bool tls;
        switch (parsed.Scheme)
        {
            case "tcp" or "stomp": tls = false; break;
            case "ssl" or "stomp+ssl": tls = true; break;
            default:
                error = $"'{text}': scheme '{parsed.Scheme}' is not one of tcp, stomp, ssl, stomp+ssl";
                return false;
        }
        if (parsed.IsDefaultPort || parsed.Port < 0 || parsed.Port > 65535)
        {
            error = $"'{text}' needs a port (0 picks a free one)";
            return false;
        }
        if (parsed.AbsolutePath is not ("/" or "") || !string.IsNullOrEmpty(parsed.Fragment))
        {
            error = $"'{text}' must not have a path";
            return false;
        }
        uri = new ConnectorUri(text, parsed.Host, parsed.Port, tls);
        error = null;
        return true;
    }

    /// <summary>Where to bind: an IP address as given, <c>0.0.0.0</c> for all, or a host name resolved to loopback when it is <c>localhost</c>.</summary>
    public IPAddress BindAddress =>
        IPAddress.TryParse(Host.Trim('[', ']'), out var address) ? address
        : Host.Equals("localhost", StringComparison.OrdinalIgnoreCase) ? IPAddress.Loopback
        : IPAddress.Any;

    public bool IsLoopback => Host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || IPAddress.IsLoopback(BindAddress);

    /// <summary>The URI with the port actually bound (differs when the configured port is 0).</summary>
    public string WithPort(int port) => $"{(Tls ? "ssl" : "tcp")}://{Host}:{port}";
}
