using BrokerConsole.Hosting;

namespace BrokerConsole.Remote;

/// <summary><c>Console</c>: the other hosts this console watches (DESIGN.md, "Many hosts").</summary>
public sealed class ConsoleOptions
{
    /// <summary>The name this host's own brokers carry in <c>GET /api/hosts</c> and <c>scope=all</c>; no remote host may use it.</summary>
    public const string LocalHost = "local";

    /// <summary><c>Console:Hosts:&lt;name&gt;</c>: each watched host's address and the login used for its hub and API.</summary>
    public Dictionary<string, RemoteHostOptions> Hosts { get; set; } = [];

    /// <summary>How long one connect (negotiate, WebSocket, first answer) to a host may take before it counts as unreachable.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a forwarded operator action may take on the remote host (a switchover waits for the slave).</summary>
    public TimeSpan ForwardTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Reads and checks <c>Console:*</c>; every problem names its key.</summary>
    public static ConsoleOptions Load(IConfiguration configuration, List<string> errors)
    {
        var section = configuration.GetSection("Console");
        var options = new ConsoleOptions();
        if (!SettingsCheck.Section(section, [typeof(ConsoleOptions)], errors))
        {
            return options;
        }
        section.Bind(options);
        foreach (var (name, host) in options.Hosts)
        {
            var key = $"Console:Hosts:{name}";
            if (string.Equals(name, LocalHost, StringComparison.OrdinalIgnoreCase))
            {
                errors.Add($"{key}: '{LocalHost}' is reserved for this host's own brokers; name the remote host otherwise");
            }
            if (string.IsNullOrWhiteSpace(host.Url))
            {
                errors.Add($"{key}:Url: is required (the remote host's HTTP address, http://host:port)");
            }
            else if (!Uri.TryCreate(host.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https")
                || url.PathAndQuery != "/" || url.UserInfo != "")
            {
                errors.Add($"{key}:Url: '{host.Url}' is not an http(s) address such as http://host-b:8161 (no path, no credentials in it)");
            }
            if (string.IsNullOrEmpty(host.UserName))
            {
                errors.Add($"{key}:UserName: is required (a user of that host with the viewer or admin role)");
            }
            if (string.IsNullOrEmpty(host.Password))
            {
                errors.Add($"{key}:Password: is required");
            }
        }
        if (options.ConnectTimeout <= TimeSpan.Zero)
        {
            errors.Add($"Console:ConnectTimeout: '{options.ConnectTimeout}' must be above zero");
        }
        if (options.ForwardTimeout <= TimeSpan.Zero)
        {
            errors.Add($"Console:ForwardTimeout: '{options.ForwardTimeout}' must be above zero");
        }
        return options;
    }
}

/// <summary>One watched host: <c>Url</c> (its HTTP address), and the <c>UserName</c>/<c>Password</c> of a user of that host.</summary>
public sealed class RemoteHostOptions
{
    public string? Url { get; set; }

    public string? UserName { get; set; }

    public string? Password { get; set; }
}
