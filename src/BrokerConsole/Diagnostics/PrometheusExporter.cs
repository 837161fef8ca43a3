using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace BrokerConsole.Diagnostics;

/// <summary>
/// Renders the <c>BrokerConsole</c> meter's observable instruments in the Prometheus text format on each
/// scrape. Dots in instrument names become underscores; counters get <c>_total</c>.
/// </summary>
public sealed class PrometheusExporter : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly Lock _lock = new();
    private readonly Dictionary<Instrument, List<(long Value, KeyValuePair<string, object?>[] Tags)>> _scrape = [];

    public PrometheusExporter(BrokerMetrics metrics)
    {
        _ = metrics; // ensures the instruments exist before the listener subscribes
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

    public string Scrape()
    {
        lock (_lock)
        {
            _scrape.Clear();
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
                    if (tags.Length > 0)
                    {
                        text.Append('{').AppendJoin(',', tags.Select(t => $"{t.Key}=\"{Escape(t.Value?.ToString())}\"")).Append('}');
                    }
                    text.Append(' ').Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
                }
            }
            return text.ToString();
        }
    }

    public void Dispose() => _listener.Dispose();

    private static string Escape(string? value) =>
        (value ?? "").Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");
}
