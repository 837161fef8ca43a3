using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace BrokerConsole.Diagnostics;

/// <summary>
/// Renders the <c>BrokerConsole</c> meter's observable instruments in the Prometheus text format, at most once per
/// <see cref="MetricsOptions.CacheFor"/> (<see cref="ScrapeCache"/>). Dots in instrument names become underscores;
/// counters get <c>_total</c>.
/// </summary>
public sealed class PrometheusExporter : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly BrokerMetrics _metrics;
    private readonly ScrapeCache _cache;
    private readonly Dictionary<Instrument, List<(long Value, KeyValuePair<string, object?>[] Tags)>> _scrape = [];

    public PrometheusExporter(BrokerMetrics metrics, MetricsOptions options, TimeProvider clock)
    {
        _metrics = metrics; // its instruments exist before the listener subscribes
        _cache = new ScrapeCache(options.CacheFor, clock, Render);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == BrokerMetrics.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (!_scrape.TryGetValue(instrument, out var values))
            {
                _scrape[instrument] = values = [];
            }
            values.Add((value, tags.ToArray()));
        });
        _listener.Start();
    }

    /// <summary>How many times the text was rendered; scrapes within <see cref="MetricsOptions.CacheFor"/> of a render do not count.</summary>
    public long Renders => _cache.Renders;

    /// <summary>The Prometheus text, UTF-8.</summary>
    public byte[] Scrape() => _cache.Get();

    public void Dispose() => _listener.Dispose();

    // Called under the cache's lock: one render at a time, so _scrape needs no lock of its own.
    private byte[] Render()
    {
        _scrape.Clear();
        _metrics.Refresh();
        _listener.RecordObservableInstruments();
        var text = new StringBuilder();
        foreach (var (instrument, values) in _scrape.OrderBy(i => i.Key.Name, StringComparer.Ordinal))
        {
            var isCounter = instrument.GetType().Name.StartsWith("ObservableCounter", StringComparison.Ordinal);
            var name = instrument.Name.Replace('.', '_') + (instrument.Unit == "By" ? "_bytes" : "") + (isCounter ? "_total" : "");
            text.Append("# HELP ").Append(name).Append(' ').Append(instrument.Description).Append('\n');
            text.Append("# TYPE ").Append(name).Append(isCounter ? " counter\n" : " gauge\n");
            foreach (var (value, tags) in values)
            {
                text.Append(name);
                for (var i = 0; i < tags.Length; i++)
                {
                    text.Append(i == 0 ? '{' : ',').Append(tags[i].Key).Append("=\"");
                    AppendEscaped(text, tags[i].Value?.ToString());
                    text.Append('"');
                }
                text.Append(tags.Length > 0 ? "} " : " ").Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
            }
        }
        _scrape.Clear();
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static void AppendEscaped(StringBuilder text, string? value)
    {
        foreach (var c in value ?? "")
        {
            _ = c switch
            {
                '\\' => text.Append("\\\\"),
                '"' => text.Append("\\\""),
                '\n' => text.Append("\\n"),
                _ => text.Append(c),
            };
        }
    }
}
