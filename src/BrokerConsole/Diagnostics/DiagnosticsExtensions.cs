using System.Text.Json;
using Broker.Core;
using BrokerConsole.Hosting;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace BrokerConsole.Diagnostics;

public static class DiagnosticsExtensions
{
    public static IServiceCollection AddBrokerDiagnostics(this IServiceCollection services)
    {
        services.AddMetrics();
        services.AddSingleton<BrokerMetrics>();
        services.AddSingleton<PrometheusExporter>();
        services.AddHealthChecks().AddCheck<BrokersReadyCheck>("brokers", tags: ["ready"]);
        return services;
    }

    public static void MapBrokerDiagnostics(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains("ready"),
            ResponseWriter = WriteReadiness,
        }).AllowAnonymous();
        app.MapGet("/metrics", (PrometheusExporter exporter) =>
            Results.Text(exporter.Scrape(), "text/plain; version=0.0.4; charset=utf-8")).AllowAnonymous();
    }

    private static Task WriteReadiness(HttpContext context, HealthReport report)
    {
        var registry = context.RequestServices.GetRequiredService<BrokerRegistry>();
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            status = report.Status.ToString(),
            brokers = registry.All.Select(b => new { name = b.Name, role = Api.BrokerView.RoleOf(b), state = Api.BrokerView.StateOf(b), reason = b.Status.Reason, connectorsOpen = b.ConnectorsOpen }),
        }));
    }

    /// <summary>Ready when every broker has settled: a master serving clients, a slave in sync, or stopped on purpose.</summary>
    private static bool IsSettled(HostedBroker broker) => broker.Status.State is Broker.Server.LifecycleState.InSync
        or Broker.Server.LifecycleState.MasterProtected or Broker.Server.LifecycleState.MasterUnprotected or Broker.Server.LifecycleState.Stopped;

    private sealed class BrokersReadyCheck(BrokerRegistry registry) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var unsettled = registry.All.Where(b => !IsSettled(b)).Select(b => b.Name).ToList();
            return Task.FromResult(unsettled.Count == 0
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy($"not ready: {string.Join(", ", unsettled)}"));
        }
    }
}
