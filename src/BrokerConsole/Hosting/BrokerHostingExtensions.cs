using Broker.Core.Events;
using Broker.Server;
using Broker.Stomp.Sessions;
using BrokerConsole.Security;
using Serilog;

namespace BrokerConsole.Hosting;

public static class BrokerHostingExtensions
{
    /// <summary>
    /// Reads and checks the whole configuration now (<see cref="HostConfiguration"/>), so every mistake stops start-up
    /// at once, each naming its key, before anything is opened.
    /// </summary>
    public static HostSettings LoadBrokerSettings(this WebApplicationBuilder builder)
    {
        var settings = HostConfiguration.Load(builder.Configuration, builder.Environment.ContentRootPath);
        builder.Services.AddSingleton(settings);
        return settings;
    }

    /// <summary>Serilog to the console and a daily rolling file in <paramref name="directory"/>, overridable under <c>Serilog</c> in configuration.</summary>
    public static WebApplicationBuilder AddBrokerLogging(this WebApplicationBuilder builder, string directory)
    {
        builder.Services.AddSerilog((services, logger) => logger
            .ReadFrom.Configuration(builder.Configuration)
            .Enrich.FromLogContext()
            // The host's "Hosting failed to start" for a failure Program.cs explains in one line is not repeated on
            // the console as a stack trace (the file keeps it).
            .WriteTo.Logger(console => console
                .Filter.ByExcluding(e => e.Exception is { } exception && StartupFailure.Describe(exception) is not null
                    && Serilog.Filters.Matching.FromSource("Microsoft.Extensions.Hosting")(e))
                .WriteTo.Console(outputTemplate: "{Timestamp:HH:mm:ss.fff} {Level:u4} | {Message:lj}{NewLine}{Exception}"))
            .WriteTo.File(
                Path.Combine(directory, "brokerconsole-.log"),
                rollingInterval: RollingInterval.Day,
                retainedFileCountLimit: 14,
                outputTemplate: "{Timestamp:yyyy-MM-dd HH:mm:ss.fff zzz} [{Level:u3}] {SourceContext} {Message:lj} {Properties:j}{NewLine}{Exception}"),
            // Each host keeps its own logger: several hosts in one process (tests) must not share the static one.
            preserveStaticLogger: true);
        return builder;
    }

    /// <summary>Registers the brokers of <paramref name="settings"/> and the registry that starts them once HTTP listens.</summary>
    public static WebApplicationBuilder AddBrokers(this WebApplicationBuilder builder, HostSettings settings)
    {
        builder.Services.AddSingleton(settings.Stomp);
        builder.Services.AddSingleton(settings.Brokers);
        builder.Services.AddSingleton<EventLog>();
        builder.Services.AddSingleton<BrokerRegistry>();
        builder.Services.AddHostedService(services => services.GetRequiredService<BrokerRegistry>());
        builder.Services.AddSingleton<MemoryReturn>();
        builder.Services.AddHostedService(services => services.GetRequiredService<MemoryReturn>());
        return builder;
    }

    /// <summary>A default password is fine on loopback; on any other address it is logged, and in a container refused.</summary>
    public static void WarnAboutExposedDefaultPasswords(this WebApplication app)
    {
        var security = app.Services.GetRequiredService<SecurityOptions>();
        var weakUsers = security.Users.Where(u => ConfiguredUsers.DefaultPasswords.Contains(u.Value.Password)).Select(u => u.Key).ToList();
        if (weakUsers.Count == 0)
        {
            return;
        }
        var exposed = app.Services.GetRequiredService<BrokerRegistry>().All
            .SelectMany(b => b.Definition.Connectors).Where(c => !c.IsLoopback).Select(c => c.Text)
            .Concat((app.Configuration["Urls"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries).Where(IsExposedUrl))
            .ToList();
        if (exposed.Count == 0)
        {
            return;
        }
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("BrokerConsole.Security");
        foreach (var user in weakUsers)
        {
            HostLog.DefaultPasswordExposed(logger, user, exposed[0]);
        }
        if (app.Configuration["DOTNET_RUNNING_IN_CONTAINER"] == "true" || Environment.GetEnvironmentVariable("DOTNET_RUNNING_IN_CONTAINER") == "true")
        {
            throw new BrokerConfigurationException(
                [$"Security:Users:{weakUsers[0]}:Password: a default password may not be used in a container listening on {exposed[0]}; set Security__Users__{weakUsers[0]}__Password"]);
        }
    }

    private static bool IsExposedUrl(string url)
    {
        if (!Uri.TryCreate(url.Replace("*", "0.0.0.0").Replace("+", "0.0.0.0"), UriKind.Absolute, out var uri))
        {
            return true;
        }
        return !(uri.IsLoopback || (System.Net.IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && System.Net.IPAddress.IsLoopback(ip)));
    }
}
