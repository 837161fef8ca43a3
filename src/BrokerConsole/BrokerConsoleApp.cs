using BrokerConsole.Api;
using BrokerConsole.Components;
using BrokerConsole.Diagnostics;
using BrokerConsole.Hosting;
using BrokerConsole.Monitoring;
using BrokerConsole.Security;

namespace BrokerConsole;

/// <summary>Builds the host: brokers, security, HTTP API, WebSocket STOMP, health and metrics. Tests use it too.</summary>
public static class BrokerConsoleApp
{
    /// <param name="args">Command-line arguments; every configuration key can be set here.</param>
    /// <param name="contentRoot">Where <c>appsettings.json</c> and <c>wwwroot/</c> are looked for; tests pass an empty folder.</param>
    public static WebApplication Create(string[] args, string? contentRoot = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            // The repository's top-level appsettings.json and wwwroot/ are found from the working directory,
            // or beside the assembly when run from elsewhere (published, Docker).
            ContentRootPath = contentRoot ?? ResolveContentRoot(),
            // Not the entry assembly's name: under a test runner that is "testhost", and the static assets
            // manifests are named after this assembly.
            ApplicationName = typeof(BrokerConsoleApp).Assembly.GetName().Name,
        });
        builder.AddBrokerLogging();
        builder.AddBrokerSecurity();
        builder.AddBrokers();
        builder.AddBrokerMonitoring();
        builder.AddBrokerConsoleUi();
        builder.Services.AddBrokerDiagnostics();
        builder.Services.AddBrokerOperations();

        var app = builder.Build();
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(30) });
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        app.MapBrokerDiagnostics();
        app.MapBrokerApi();
        app.MapQueueApi();
        app.MapOperatorApi();
        app.MapSetAsideApi();
        app.MapPeerApi();
        app.MapStompWebSockets();
        app.MapMonitorHub();
        app.MapBrokerConsoleUi();
        app.WarnAboutExposedDefaultPasswords();
        return app;
    }

    private static string ResolveContentRoot()
    {
        var current = Directory.GetCurrentDirectory();
        return File.Exists(Path.Combine(current, "appsettings.json")) ? current : AppContext.BaseDirectory;
    }
}
