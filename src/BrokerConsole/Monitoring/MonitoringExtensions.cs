using System.Text.Json.Serialization;
using BrokerConsole.Security;

namespace BrokerConsole.Monitoring;

public static class MonitoringExtensions
{
    public const string HubPath = "/hubs/monitor";

    /// <summary>The shared <see cref="IMonitorSource"/> and SignalR for the monitor hub.</summary>
    public static WebApplicationBuilder AddBrokerMonitoring(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<MonitorSource>();
        builder.Services.AddSingleton<IMonitorSource>(sp => sp.GetRequiredService<MonitorSource>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<MonitorSource>());
        // Enum kinds travel as names, as in GET /api/events.
        builder.Services.AddSignalR()
            .AddJsonProtocol(o => o.PayloadSerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        return builder;
    }

    public static void MapMonitorHub(this WebApplication app) =>
        app.MapHub<MonitorHub>(HubPath).RequireAuthorization(SecurityExtensions.ViewPolicy);
}
