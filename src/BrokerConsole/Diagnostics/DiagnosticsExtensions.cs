using System.Text.Json;
using Broker.Core;
using BrokerConsole.Hosting;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace BrokerConsole.Diagnostics;

public static class DiagnosticsExtensions
{
    /// <summary>Health checks and metrics; reads and validates <c>Metrics</c> now, so a bad value stops start-up naming its key.</summary>
    public static WebApplicationBuilder AddBrokerDiagnostics(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton(MetricsOptions.Load(builder.Configuration));
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.AddSingleton<BrokerMetrics>();
        services.AddSingleton<PrometheusExporter>();
        services.AddHealthChecks().AddCheck<BrokersReadyCheck>("brokers", tags: ["ready"]);
        return builder;
    }

    public static void MapBrokerDiagnostics(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains("ready"),
            ResponseWriter = WriteReadiness,
        }).AllowAnonymous();
        var metrics = app.MapGet("/metrics", (PrometheusExporter exporter) =>
            Results.Bytes(exporter.Scrape(), "text/plain; version=0.0.4; charset=utf-8"));
        // Broker-level figures are for anyone (a load balancer, a scraper without credentials); destination names are not.
        if (app.Services.GetRequiredService<MetricsOptions>().RequiresLogin)
        {
            metrics.RequireAuthorization(Security.SecurityExtensions.ViewPolicy);
        }
        else
        {
            metrics.AllowAnonymous();
        }
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
    private static bool IsSettled(HostedBroker broker) => Broker.Server.LifecycleTransitions.IsSettled(broker.Status.State);

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
