using BrokerConsole.Api;
using BrokerConsole.Components;
using BrokerConsole.Diagnostics;
using BrokerConsole.Hosting;
using BrokerConsole.Monitoring;
using BrokerConsole.Remote;
using BrokerConsole.Security;

namespace BrokerConsole;

/// <summary>Builds the host: brokers, security, HTTP API, WebSocket STOMP, health and metrics. Tests use it too.</summary>
public static class BrokerConsoleApp
{
    /// <param name="args">Command-line arguments; every configuration key can be set here.</param>
    /// <param name="contentRoot">
    /// Where <c>appsettings.json</c> and <c>wwwroot/</c> are looked for, and what relative paths in configuration are
    /// relative to; tests pass an empty folder.
    /// </param>
    public static WebApplication Create(string[] args, string? contentRoot = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = contentRoot ?? ResolveContentRoot(args),
            // Not the entry assembly's name: under a test runner that is "testhost", and the static assets
            // manifests are named after this assembly.
            ApplicationName = typeof(BrokerConsoleApp).Assembly.GetName().Name,
        });
        var settings = builder.LoadBrokerSettings();
        builder.AddBrokerLogging(settings.LogDirectory);
        builder.AddBrokerSecurity(settings.Security);
        builder.AddBrokers(settings);
        builder.AddBrokerMonitoring();
        builder.AddRemoteHosts(settings);
        builder.AddBrokerConsoleUi();
        builder.AddBrokerDiagnostics();
        builder.Services.AddBrokerOperations();

        var app = builder.Build();
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(30) });
        app.UseAuthentication();
        app.UseCrossSiteRequestGuard();
        app.UseAuthorization();
        app.UseAntiforgery();
        app.UseRemoteForwarding();
        app.MapBrokerDiagnostics();
        app.MapBrokerApi();
        app.MapQueueApi();
        app.MapOperatorApi();
        app.MapScheduledApi();
        app.MapClientApi();
        app.MapSetAsideApi();
        app.MapPeerApi();
        app.MapFleetApi();
        app.MapStompWebSockets();
        app.MapMonitorHub();
        app.MapBrokerConsoleUi();
        app.WarnAboutExposedDefaultPasswords();
        return app;
    }

    /// <summary>
    /// The folder of the appsettings.json in use: <c>--contentRoot</c> (or DOTNET_/ASPNETCORE_CONTENTROOT) when given;
    /// else the working directory when it holds an appsettings.json (the repository root: <c>dotnet run</c> starts
    /// there, see RunWorkingDirectory in the project file); else the assembly's folder, where the build copies the
    /// repository's appsettings.json (published, Docker, <c>dotnet BrokerConsole.dll</c> from elsewhere).
    /// </summary>
    private static string ResolveContentRoot(string[] args)
    {
        var given = new ConfigurationBuilder()
            .AddEnvironmentVariables("DOTNET_")
            .AddEnvironmentVariables("ASPNETCORE_")
            .AddCommandLine(args)
            .Build()["contentRoot"];
        if (!string.IsNullOrEmpty(given))
        {
            return Path.GetFullPath(given);
        }
        var current = Directory.GetCurrentDirectory();
        return File.Exists(Path.Combine(current, "appsettings.json")) ? current : AppContext.BaseDirectory;
    }
}
