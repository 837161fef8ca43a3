using BrokerConsole.Monitoring;

namespace BrokerConsole.Components.Pages;

/// <summary>What the grid sorts destinations by.</summary>
public enum DestinationSort
{
    Name,
    Kind,
    Pending,
    Consumers,
    InFlight,
    Enqueued,
    Dequeued,
    Rate,
}

/// <summary>
/// The Queues and topics page's rows: kept up to date from <see cref="DestinationChanges"/>, searched, sorted
/// and paged here so that a render reads one page. The order (a list of keys) is rebuilt only when the query
/// changes, rows come or go, or a batch changes a live figure the list is sorted by; otherwise a batch just
/// replaces rows, which the next page read picks up.
/// </summary>
internal sealed class DestinationTable
{
    private readonly Dictionary<(string Kind, string Name), DestinationRow> _rows = [];
    private List<(string Kind, string Name)>? _order;
    private string _search = "";
    private DestinationSort _sort = DestinationSort.Name;
    private bool _ascending = true;

    /// <summary>Rows matching the search.</summary>
    public int Total => Order().Count;

    public int Count => _rows.Count;

    public void Apply(DestinationChanges changes)
    {
        if (changes.IsSnapshot)
        {
            _rows.Clear();
            _order = null;
        }
        foreach (var row in changes.Updated)
        {
            if (!_rows.ContainsKey(row.Key))
            {
                _order = null;
            }
            _rows[row.Key] = row;
        }
        foreach (var row in changes.Removed)
        {
            _order = _rows.Remove(row.Key) ? null : _order;
        }
        if (changes.Updated.Count > 0 && _sort is not (DestinationSort.Name or DestinationSort.Kind))
        {
            _order = null;
        }
    }

    public void Query(string? search, DestinationSort sort, bool ascending)
    {
        search ??= "";
        if (search != _search || sort != _sort || ascending != _ascending)
        {
            (_search, _sort, _ascending) = (search, sort, ascending);
            _order = null;
        }
    }

    public DestinationRow[] Page(int start, int count) =>
        [.. Order().Skip(start).Take(count).Select(key => _rows[key])];

    private List<(string Kind, string Name)> Order()
    {
        if (_order is not null)
        {
            return _order;
        }
        var matching = _rows.Values.Where(r => _search.Length == 0 || r.Name.Contains(_search, StringComparison.OrdinalIgnoreCase));
        var sorted = _sort switch
        {
            DestinationSort.Kind => Sort(matching, r => r.Kind),
            DestinationSort.Pending => Sort(matching, r => r.Pending),
            DestinationSort.Consumers => Sort(matching, r => r.Consumers),
            DestinationSort.InFlight => Sort(matching, r => r.InFlight),
            DestinationSort.Enqueued => Sort(matching, r => r.Enqueued),
            DestinationSort.Dequeued => Sort(matching, r => r.Dequeued),
            DestinationSort.Rate => Sort(matching, r => r.EnqueueRate),
            _ => Sort(matching, r => r.Name),
        };
        // Ties (and the name sort itself) fall back to kind and name, so equal figures keep a stable order.
        _order = [.. sorted.ThenBy(r => r.Name, StringComparer.Ordinal).ThenBy(r => r.Kind).Select(r => r.Key)];
        return _order;
    }

    private IOrderedEnumerable<DestinationRow> Sort<TKey>(IEnumerable<DestinationRow> rows, Func<DestinationRow, TKey> key) =>
        _ascending ? rows.OrderBy(key) : rows.OrderByDescending(key);
}
