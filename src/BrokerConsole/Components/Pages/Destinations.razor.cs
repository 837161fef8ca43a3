using BrokerConsole.Components.Live;
using BrokerConsole.Monitoring;
using Microsoft.AspNetCore.Components;
using Microsoft.FluentUI.AspNetCore.Components;

namespace BrokerConsole.Components.Pages;

/// <summary>
/// One broker's queues and topics, live from <see cref="IMonitorSource.WatchDestinations"/>. The grid asks
/// <see cref="DestinationTable"/> for one page at a time, so 10,000 destinations cost a page per render.
/// </summary>
public sealed partial class Destinations : LiveComponent<DestinationChanges>
{
    internal const int PageSize = 25;

    // Name, kind, pending, consumers, in flight, enqueued, dequeued, rate. Names wrap rather than being cut (names of
    // one family often differ only at their end); the figures are as wide as their widest cell.
    private const string Columns = "minmax(10rem, 3fr) max-content max-content max-content max-content max-content max-content minmax(9rem, 1fr)";

    // The grid needs a sort per sortable column; the table does the sorting, by the column's title.
    private static readonly GridSort<DestinationRow> BySort = GridSort<DestinationRow>.ByAscending(r => r.Name);

    private readonly DestinationTable _table = new();
    private readonly PaginationState _pagination = new() { ItemsPerPage = PageSize };
    private readonly Dictionary<(string, string), IReadOnlyList<RateSample>> _sparklines = [];
    private FluentDataGrid<DestinationRow>? _grid;
    private GridItemsProvider<DestinationRow> _provider = null!;
    private string _search = "";

    [Parameter]
    public string? Broker { get; set; }

    [Inject]
    private IMonitorSource Monitor { get; set; } = null!;

    private string SelectedBroker => Broker ?? Monitor.BrokerNames().FirstOrDefault() ?? "";

    protected override object? StreamKey => SelectedBroker;

    protected override void OnInitialized() => _provider = ProvidePage;

    protected override IAsyncEnumerable<DestinationChanges> Watch(CancellationToken cancellationToken) =>
        Monitor.WatchDestinations(SelectedBroker, cancellationToken);

    protected override async Task ShowAsync(DestinationChanges batch)
    {
        _table.Apply(batch);
        if (_grid is not null)
        {
            await _grid.RefreshDataAsync();
        }
    }

    private ValueTask<GridItemsProviderResult<DestinationRow>> ProvidePage(GridItemsProviderRequest<DestinationRow> request)
    {
        // A column's title names its sort ("In flight" is InFlight).
        var sort = Enum.TryParse<DestinationSort>(request.SortByColumn?.Title?.Replace(" ", "", StringComparison.Ordinal), ignoreCase: true, out var by)
            ? by : DestinationSort.Name;
        _table.Query(_search, sort, request.SortByColumn is null || request.SortByAscending);
        var page = _table.Page(request.StartIndex, request.Count ?? PageSize);
        // Histories only for the rows shown: a page's worth of ring copies per refresh.
        _sparklines.Clear();
        foreach (var row in page)
        {
            _sparklines[row.Key] = Monitor.DestinationHistory(SelectedBroker, row.Kind, row.Name);
        }
        return ValueTask.FromResult(GridItemsProviderResult.From(page, _table.Total));
    }

    private IReadOnlyList<RateSample> SparklineOf(DestinationRow row) => _sparklines.GetValueOrDefault(row.Key) ?? [];

    private async Task SearchAsync(string? search)
    {
        _search = search ?? "";
        await _pagination.SetCurrentPageIndexAsync(0);
        if (_grid is not null)
        {
            await _grid.RefreshDataAsync();
        }
    }

    private string QueueLink(string queue) => $"brokers/{Uri.EscapeDataString(SelectedBroker)}/queues/{Uri.EscapeDataString(queue)}";
}
