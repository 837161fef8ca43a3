using System.Globalization;

namespace Broker.Client;

/// <summary>
/// Parses connection URIs offline (no host is ever resolved):
/// <code>
/// tcp://host:61613                                   one broker, no failover
/// failover:(tcp://a:61613,tcp://b:61613)?options     options with ActiveMQ's names; "transport." prefix accepted
/// failover:tcp://a:61613,tcp://b:61613?options       the same without parentheses (the query is the failover's)
/// </code>
/// <c>nested.X=v</c> adds option X to every broker URI that does not set it. An unknown option, a repeated one,
/// a bad value or a malformed URI throws <see cref="StompUriException"/> naming it: nothing is silently ignored.
/// </summary>
public static class FailoverUri
{
    private static readonly string[] Schemes = ["tcp", "stomp", "ssl", "stomp+ssl"];
    private static readonly Dictionary<string, (string Written, string Value)> NoNested = [];

    /// <summary>Parses <paramref name="text"/>; throws <see cref="StompUriException"/> when it cannot be used.</summary>
    public static FailoverOptions Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var uri = text.Trim();
        if (uri.Length == 0)
        {
            throw new StompUriException("the URI is empty");
        }
        const string prefix = "failover:";
        if (!uri.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            return FailoverOptions.Default with { IsFailover = false, Endpoints = [ParseEndpoint(uri, nested: NoNested)] };
        }

        var rest = uri[prefix.Length..];
        string list;
        string? query;
        if (rest.StartsWith('('))
        {
            var close = rest.IndexOf(')');
            if (close < 0)
            {
                throw new StompUriException($"'{uri}' is missing the ')' that closes the broker list");
            }
            list = rest[1..close];
            var after = rest[(close + 1)..];
            if (after.Length > 0 && after[0] != '?')
            {
                throw new StompUriException($"unexpected '{after}' after the broker list in '{uri}': only '?options' may follow ')'");
            }
            query = after.Length > 0 ? after[1..] : null;
        }
        else
        {
            if (rest.Contains(')'))
            {
                throw new StompUriException($"'{uri}' has a ')' without the '(' that opens the broker list");
            }
            var q = rest.IndexOf('?');
            list = q < 0 ? rest : rest[..q];
            query = q < 0 ? null : rest[(q + 1)..];
        }
        if (list.Contains('('))
        {
            throw new StompUriException($"'{uri}' has a nested '(': a broker list cannot contain another");
        }
        if (string.IsNullOrWhiteSpace(list))
        {
            throw new StompUriException($"'{uri}' lists no broker URI");
        }

        var options = FailoverOptions.Default;
        var nested = new Dictionary<string, (string Written, string Value)>(StringComparer.OrdinalIgnoreCase);
        string? priorityUris = null;
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (written, value) in SplitQuery(query, uri))
        {
            var name = Strip(written);
            if (name.StartsWith("nested.", StringComparison.OrdinalIgnoreCase))
            {
                var inner = name["nested.".Length..];
                if (inner.Length == 0)
                {
                    throw new StompUriException($"option '{written}' names no nested option", written);
                }
                if (!nested.TryAdd(Strip(inner), (written, value)))
                {
                    throw new StompUriException($"option '{written}' is given twice", written);
                }
                continue;
            }
            var canonical = name.ToLowerInvariant() switch
            {
                "backoffmultiplier" => "reconnectdelayexponent",
                var other => other,
            };
            if (!seen.Add(canonical))
            {
                throw new StompUriException($"option '{written}' is given twice (or with its alias)", written);
            }
            options = canonical switch
            {
                "initialreconnectdelay" => options with { InitialReconnectDelay = Millis(written, value, min: 0) },
                "maxreconnectdelay" => options with { MaxReconnectDelay = Millis(written, value, min: 0) },
                "useexponentialbackoff" => options with { UseExponentialBackOff = Bool(written, value) },
                "reconnectdelayexponent" => options with { ReconnectDelayExponent = Double(written, value, min: 1.0) },
                "maxreconnectattempts" => options with { MaxReconnectAttempts = Int(written, value, min: -1) },
                "startupmaxreconnectattempts" => options with { StartupMaxReconnectAttempts = Int(written, value, min: -1) },
                "randomize" => options with { Randomize = Bool(written, value) },
                "timeout" => options with { Timeout = Int(written, value, min: -1) is var t && t < 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(t) },
                "prioritybackup" => options with { PriorityBackup = Bool(written, value) },
                "priorityuris" => PriorityUris(options, written, value, out priorityUris),
                "warnafterreconnectattempts" => options with { WarnAfterReconnectAttempts = Int(written, value, min: 0) },
                _ => throw new StompUriException($"unknown failover option '{written}' in '{uri}'", written),
            };
        }
        if (options.MaxReconnectDelay < options.InitialReconnectDelay)
        {
            throw new StompUriException(
                $"maxReconnectDelay ({options.MaxReconnectDelay.TotalMilliseconds} ms) is below initialReconnectDelay ({options.InitialReconnectDelay.TotalMilliseconds} ms)",
                "maxReconnectDelay");
        }

        var endpoints = new List<BrokerEndpoint>();
        foreach (var part in list.Split(','))
        {
            if (string.IsNullOrWhiteSpace(part))
            {
                throw new StompUriException($"'{uri}' has an empty entry in its broker list");
            }
            endpoints.Add(ParseEndpoint(part.Trim(), nested));
        }
        options = options with { Endpoints = endpoints };

        if (priorityUris is not null)
        {
            var priority = new List<BrokerEndpoint>();
            foreach (var part in priorityUris.Split(',', StringSplitOptions.TrimEntries))
            {
                var endpoint = ParseEndpoint(part, nested: NoNested, option: "priorityURIs");
                var listed = endpoints.FirstOrDefault(e => e.SameAddress(endpoint))
                    ?? throw new StompUriException($"priorityURIs names '{part}', which is not in the broker list", "priorityURIs");
                priority.Add(listed);
            }
            options = options with { PriorityUris = priority };
        }
        return options;
    }

    /// <summary>Like <see cref="Parse"/>, returning the error instead of throwing.</summary>
    public static bool TryParse(string text, out FailoverOptions? options, out StompUriException? error)
    {
        try
        {
            options = Parse(text);
            error = null;
            return true;
        }
        catch (StompUriException e)
        {
            options = null;
            error = e;
            return false;
        }
    }

    private static FailoverOptions PriorityUris(FailoverOptions options, string written, string value, out string? raw)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new StompUriException($"option '{written}' is empty", written);
        }
        raw = value;
        return options;
    }

    /// <summary>Drops the <c>transport.</c> prefix .NET users bring from NMS.</summary>
    private static string Strip(string name) =>
        name.StartsWith("transport.", StringComparison.OrdinalIgnoreCase) ? name["transport.".Length..] : name;

    private static IEnumerable<(string Name, string Value)> SplitQuery(string? query, string uri)
    {
        if (query is null)
        {
            yield break;
        }
        if (query.Length == 0)
        {
            throw new StompUriException($"'{uri}' ends with '?' but gives no option");
        }
        foreach (var pair in query.Split('&'))
        {
            if (pair.Length == 0)
            {
                throw new StompUriException($"'{uri}' has an empty option (a stray '&')");
            }
            var eq = pair.IndexOf('=');
            if (eq <= 0)
            {
                var name = eq < 0 ? pair : "";
                throw new StompUriException(
                    eq < 0 ? $"option '{pair}' has no value (expected {pair}=...)" : $"'{pair}' has no option name",
                    name.Length > 0 ? name : null);
            }
            string value;
            try
            {
                value = Uri.UnescapeDataString(pair[(eq + 1)..]);
            }
            catch (UriFormatException)
            {
                throw new StompUriException($"option '{pair[..eq]}' has a badly escaped value", pair[..eq]);
            }
            yield return (Uri.UnescapeDataString(pair[..eq]), value);
        }
    }

    private static BrokerEndpoint ParseEndpoint(string text, IReadOnlyDictionary<string, (string Written, string Value)> nested, string? option = null)
    {
        var schemeEnd = text.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd <= 0)
        {
            throw new StompUriException($"'{text}' is not a broker URI (expected tcp://host:port)", option);
        }
        var scheme = text[..schemeEnd].ToLowerInvariant();
        if (!Schemes.Contains(scheme))
        {
            throw new StompUriException($"unsupported scheme '{text[..schemeEnd]}' in '{text}' (use tcp, stomp, ssl, stomp+ssl or failover:(...))", option);
        }
        if (!Uri.TryCreate(text, UriKind.Absolute, out var parsed) || parsed.Host.Length == 0)
        {
            throw new StompUriException($"'{text}' is not a valid broker URI (expected {scheme}://host:port)", option);
        }
        if (parsed.AbsolutePath is not ("" or "/") || parsed.Fragment.Length > 0 || parsed.UserInfo.Length > 0)
        {
            throw new StompUriException($"'{text}' has a path, fragment or user part; a broker URI is {scheme}://host:port", option);
        }
        // System.Uri reports -1 for schemes it does not know when the port is omitted.
        var portWritten = HasExplicitPort(text, schemeEnd + 3);
        var port = portWritten ? parsed.Port : 61613;
        if (port is <= 0 or > 65535)
        {
            throw new StompUriException($"'{text}' has port {port}, outside 1-65535", option);
        }
        var endpoint = new BrokerEndpoint { Scheme = scheme, Host = parsed.IdnHost.Trim('[', ']'), Port = port };

        var own = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (written, value) in SplitQuery(parsed.Query.Length > 1 ? parsed.Query[1..] : parsed.Query.Length == 1 ? "" : null, text))
        {
            var name = Strip(written);
            if (!own.Add(name))
            {
                throw new StompUriException($"option '{written}' is given twice in '{text}'", written);
            }
            endpoint = ApplyEndpointOption(endpoint, name, written, value, text);
        }
        foreach (var (name, (written, value)) in nested)
        {
            if (!own.Contains(name))
            {
                endpoint = ApplyEndpointOption(endpoint, name, written, value, text);
            }
        }
        return endpoint;
    }

    private static bool HasExplicitPort(string text, int authorityStart)
    {
        var end = text.IndexOfAny(['/', '?', '#'], authorityStart);
        var authority = end < 0 ? text[authorityStart..] : text[authorityStart..end];
        var bracket = authority.LastIndexOf(']');
        return authority.IndexOf(':', bracket + 1) >= 0;
    }

    private static BrokerEndpoint ApplyEndpointOption(BrokerEndpoint endpoint, string name, string written, string value, string uri) =>
        name.ToLowerInvariant() switch
        {
            "connectiontimeout" => endpoint with { ConnectionTimeout = Millis(written, value, min: 1) },
            "tcpnodelay" => endpoint with { TcpNoDelay = Bool(written, value) },
            "keepalive" => endpoint with { KeepAlive = Bool(written, value) },
            _ => throw new StompUriException($"unknown transport option '{written}' for '{uri}' (known: connectionTimeout, tcpNoDelay, keepAlive)", written),
        };

    private static TimeSpan Millis(string name, string value, long min) => TimeSpan.FromMilliseconds(Long(name, value, min));

    private static int Int(string name, string value, int min)
    {
        var parsed = Long(name, value, min);
        return parsed > int.MaxValue
            ? throw new StompUriException($"option '{name}' has value '{value}', above {int.MaxValue}", name)
            : (int)parsed;
    }

    private static long Long(string name, string value, long min)
    {
        if (!long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed))
        {
            throw new StompUriException($"option '{name}' has value '{value}': expected an integer", name);
        }
        return parsed < min
            ? throw new StompUriException($"option '{name}' has value '{value}': the least allowed is {min}", name)
            : parsed;
    }

    private static double Double(string name, string value, double min)
    {
        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) || !double.IsFinite(parsed))
        {
            throw new StompUriException($"option '{name}' has value '{value}': expected a number", name);
        }
        return parsed < min
            ? throw new StompUriException($"option '{name}' has value '{value}': the least allowed is {min.ToString(CultureInfo.InvariantCulture)}", name)
            : parsed;
    }

    private static bool Bool(string name, string value) => value.ToLowerInvariant() switch
    {
        "true" => true,
        "false" => false,
        _ => throw new StompUriException($"option '{name}' has value '{value}': expected true or false", name),
    };
}
