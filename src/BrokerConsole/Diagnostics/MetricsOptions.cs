using BrokerConsole.Hosting;

namespace BrokerConsole.Diagnostics;

/// <summary>
/// <c>Metrics</c>: what <c>/metrics</c> shows and who may read it. By default only broker-level figures (no
/// destination names), to anyone; <see cref="DestinationSeries"/> above 0 adds the deepest destinations by name, and
/// then the route needs a user with the view role (Prometheus: <c>basic_auth</c>).
/// </summary>
public sealed class MetricsOptions
{
    /// <summary>Upper bound of <see cref="DestinationSeries"/>: beyond it a scrape is a dump, not a metric.</summary>
    public const int MaxDestinationSeries = 1000;

    /// <summary>Per broker, how many destinations (the deepest by pending messages) get a series of their own; 0 = none.</summary>
    public int DestinationSeries { get; set; }

    /// <summary>How long one render answers every scrape; 0 renders each time.</summary>
    public TimeSpan CacheFor { get; set; } = TimeSpan.FromSeconds(2);

    public bool RequiresLogin => DestinationSeries > 0;

    public static MetricsOptions Load(IConfiguration configuration)
    {
        var options = new MetricsOptions();
        try
        {
            configuration.GetSection("Metrics").Bind(options, b => b.ErrorOnUnknownConfiguration = true);
        }
        catch (InvalidOperationException e)
        {
            throw new BrokerConfigurationException([$"Metrics: {e.Message}"]);
        }
        var errors = new List<string>();
        if (options.DestinationSeries is < 0 or > MaxDestinationSeries)
        {
            errors.Add($"Metrics:DestinationSeries: '{options.DestinationSeries}' must be 0 (none) to {MaxDestinationSeries}");
        }
        if (options.CacheFor < TimeSpan.Zero || options.CacheFor > TimeSpan.FromMinutes(1))
        {
            errors.Add($"Metrics:CacheFor: '{options.CacheFor}' must be 00:00:00 to 00:01:00");
        }
        return errors.Count > 0 ? throw new BrokerConfigurationException(errors) : options;
    }
}
