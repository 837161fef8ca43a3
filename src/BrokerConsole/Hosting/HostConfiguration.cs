using Broker.Stomp.Sessions;
using BrokerConsole.Security;
using Microsoft.Extensions.Configuration.CommandLine;

using Broker.Server;

namespace BrokerConsole.Hosting;

/// <summary>Everything the host reads from configuration, checked and with its paths made absolute.</summary>
public sealed record HostSettings(
    string ContentRoot,
    string LogDirectory,
    SecurityOptions Security,
    StompServerOptions Stomp,
    IReadOnlyList<BrokerDefinition> Brokers,
    Remote.ConsoleOptions? Console = null);

/// <summary><c>Replication:*</c>: the login every slave of this host uses towards its master (and for <c>Peer</c> questions).</summary>
public sealed class ReplicationLoginOptions
{
    public string? UserName { get; set; }

    public string? Password { get; set; }
}

/// <summary>
/// Reads and checks the whole configuration in one pass before anything starts: the top-level keys, <c>Urls</c>,
/// <c>Security</c>, <c>Stomp</c>, <c>Replication</c>, <c>Brokers</c> and <c>Console</c>. Every problem (an unknown key, a value of
/// the wrong type, a value out of range) is collected, each naming its full key, and reported together.
/// </summary>
public static class HostConfiguration
{
    /// <summary>Top-level sections this host reads.</summary>
    private static readonly string[] OurKeys = ["Brokers", "Stomp", "Replication", "Security", "Logging", "Metrics", "Console"];

    /// <summary>
    /// Top-level keys ASP.NET Core and the generic host read (WebHostDefaults, HostDefaults, Kestrel, logging
    /// providers, host filtering), and Serilog's section: legitimate here though this host does not read them itself.
    /// </summary>
    private static readonly string[] HostKeys =
    [
        "Urls", "AllowedHosts", "Kestrel", "Serilog", "ConnectionStrings", "HostFiltering", "ForwardedHeaders_Enabled",
        "applicationName", "environment", "contentRoot", "webroot", "http_ports", "https_ports", "https_port",
        "detailedErrors", "captureStartupErrors", "shutdownTimeoutSeconds", "suppressStatusMessages", "preferHostingUrls",
        "startupAssembly", "hostingStartupAssemblies", "hostingStartupExcludeAssemblies", "preventHostingStartup", "staticWebAssets",
    ];

    /// <summary>Prefixes of keys meant for the runtime or the host (<c>--DOTNET_RUNNING_IN_CONTAINER=true</c>, say).</summary>
    private static readonly string[] HostPrefixes = ["DOTNET_", "ASPNETCORE_"];

    public static HostSettings Load(IConfiguration configuration, string contentRoot)
    {
        var errors = new List<string>();
        CheckTopLevelKeys(configuration, errors);
        CheckUrls(configuration["Urls"], errors);
        var logDirectory = configuration.GetSection("Logging:Directory");
        if (logDirectory.GetChildren().Any())
        {
            errors.Add($"{logDirectory.Path}: expected a folder path, not a section");
        }
        var security = ConfiguredUsers.Load(configuration, errors);
        var stomp = StompSettings.Load(configuration.GetSection("Stomp"), errors);
        var login = LoadReplicationLogin(configuration.GetSection("Replication"), errors);
        var brokers = BrokerConfiguration.Load(configuration, contentRoot, login, errors);
        var console = Remote.ConsoleOptions.Load(configuration, errors);
        if (errors.Count > 0)
        {
            throw new BrokerConfigurationException([.. errors.Distinct()]);
        }
        return new HostSettings(contentRoot, ResolvePath(contentRoot, logDirectory.Value is { Length: > 0 } d ? d : "logs"), security, stomp, brokers, console);
    }

    /// <summary>
    /// The one rule for relative paths in configuration (data directories, the log folder, TLS files): they are
    /// relative to the content root, the folder holding the appsettings.json in use, whatever the working directory.
    /// </summary>
    public static string ResolvePath(string contentRoot, string path) => Path.GetFullPath(path, contentRoot);

    /// <summary>
    /// Keys at the top of appsettings files and the command line must be ours or the host's. The environment is not
    /// checked: every variable of the process (PATH, HOME, ...) is a configuration key there.
    /// </summary>
    private static void CheckTopLevelKeys(IConfiguration configuration, List<string> errors)
    {
        if (configuration is not IConfigurationRoot root)
        {
            return;
        }
        var reported = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var provider in root.Providers)
        {
            var source = provider switch
            {
                FileConfigurationProvider file => file.Source.Path,
                CommandLineConfigurationProvider => "the command line",
                _ => null,
            };
            if (source is null)
            {
                continue;
            }
            foreach (var key in provider.GetChildKeys([], null))
            {
                if (!IsKnownTopLevel(key) && reported.Add(key))
                {
                    errors.Add($"{key}: unknown top-level setting in {source} (this host reads {string.Join(", ", OurKeys)}; "
                        + $"the web host also takes {string.Join(", ", HostKeys)} and DOTNET_*/ASPNETCORE_* keys)");
                }
            }
        }
    }

    private static bool IsKnownTopLevel(string key) =>
        OurKeys.Contains(key, StringComparer.OrdinalIgnoreCase) || HostKeys.Contains(key, StringComparer.OrdinalIgnoreCase)
        || HostPrefixes.Any(p => key.StartsWith(p, StringComparison.OrdinalIgnoreCase));

    /// <summary><c>Urls</c> (or <c>--urls</c>): addresses Kestrel can parse, so a typo is not an exception at start.</summary>
    private static void CheckUrls(string? urls, List<string> errors)
    {
        foreach (var url in (urls ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string? problem;
            try
            {
                var address = BindingAddress.Parse(url);
                problem = address.Scheme is "http" or "https" ? null : $"scheme '{address.Scheme}' is not http or https";
            }
            catch (FormatException e)
            {
                problem = e.Message;
            }
            if (problem is not null)
            {
                errors.Add($"Urls: '{url}' is not an address to listen on ({problem}); write http://host:port, several separated by ';'");
            }
        }
    }

    private static ReplicationLoginOptions LoadReplicationLogin(IConfigurationSection section, List<string> errors)
    {
        var login = new ReplicationLoginOptions();
        if (!SettingsCheck.Section(section, [typeof(ReplicationLoginOptions)], errors))
        {
            return login;
        }
        section.Bind(login);
        if (string.IsNullOrEmpty(login.UserName) != string.IsNullOrEmpty(login.Password))
        {
            errors.Add(string.IsNullOrEmpty(login.UserName)
                ? "Replication:UserName: is required when Replication:Password is set"
                : "Replication:Password: is required when Replication:UserName is set");
        }
        return login;
    }
}
