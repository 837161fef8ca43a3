using Broker.Core.Events;
using BrokerConsole.Components.Live;
using BrokerConsole.Monitoring;
using Microsoft.AspNetCore.Components;

namespace BrokerConsole.Components.Pages;

/// <summary>The event timeline, newest first, live from <see cref="IMonitorSource.WatchEvents"/>.</summary>
public sealed partial class Events : LiveComponent<IReadOnlyList<BrokerEvent>>
{
    /// <summary>What the page keeps; the event log itself keeps its own recent window.</summary>
    internal const int MaxShown = 1000;

    // Time, broker, kind, detail. The cells are the grid's items, so max-content sizes a column to its widest cell: a
    // broker's name is never cut (rows of amq1M and amq1S must read apart); the detail takes the rest and wraps.
    private const string Columns = "max-content max-content max-content minmax(12rem, 1fr)";

    /// <summary>The filters' choices: "" (shown as "all") lets every broker or kind through.</summary>
    private static readonly string[] KindChoices = ["", .. Enum.GetNames<BrokerEventKind>()];

    private readonly List<BrokerEvent> _newestFirst = [];
    private IQueryable<BrokerEvent> _events = Enumerable.Empty<BrokerEvent>().AsQueryable();
    private IReadOnlyList<string> _brokerChoices = [""];
    private string? _broker = "";
    private string? _kind = "";
    private string? _search = "";
    private int _shown;

    [Inject]
    private IMonitorSource Monitor { get; set; } = null!;

    protected override void OnInitialized()
    {
        _brokerChoices = ["", .. Monitor.BrokerNames()];
        base.OnInitialized();
    }

    protected override IAsyncEnumerable<IReadOnlyList<BrokerEvent>> Watch(CancellationToken cancellationToken) =>
        Monitor.WatchEventBatches(cancellationToken);

    protected override Task ShowAsync(IReadOnlyList<BrokerEvent> batch)
    {
        for (var i = 0; i < batch.Count; i++)
        {
            _newestFirst.Insert(0, batch[i]);
        }
        if (_newestFirst.Count > MaxShown)
        {
            _newestFirst.RemoveRange(MaxShown, _newestFirst.Count - MaxShown);
        }
        Apply();
        return Task.CompletedTask;
    }

    private static string Choice(string? value) => string.IsNullOrEmpty(value) ? "all" : value;

    /// <summary>What the filters let through (broker, kind, text in the broker, kind or detail), newest first; events arriving later are filtered too.</summary>
    private void Apply()
    {
        var search = (_search ?? "").Trim();
        var shown = _newestFirst.Where(e =>
            (string.IsNullOrEmpty(_broker) || e.Broker == _broker)
            && (string.IsNullOrEmpty(_kind) || e.Kind.ToString() == _kind)
            && (search.Length == 0
                || e.Detail.Contains(search, StringComparison.OrdinalIgnoreCase)
                || e.Broker.Contains(search, StringComparison.OrdinalIgnoreCase)
                || e.Kind.ToString().Contains(search, StringComparison.OrdinalIgnoreCase))).ToArray();
        _shown = shown.Length;
        _events = shown.AsQueryable();
    }
}
