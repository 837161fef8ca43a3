using System.Text.RegularExpressions;

namespace BrokerConsole.BrowserTests.Pages;

/// <summary>
/// A Fluent UI <c>FluentDataGrid</c> read the way a user reads it: rows by the text they contain, cells by their
/// column's title. Works for any page's grid (Brokers, Events, and the Queues list or Queue detail later).
/// </summary>
public sealed class DataGrid(ILocator root)
{
    public ILocator Root { get; } = root;

    /// <summary>Data rows (the header row excluded).</summary>
    public ILocator Rows => Root.GetByRole(AriaRole.Row).Filter(new LocatorFilterOptions { Has = Root.Page.GetByRole(AriaRole.Gridcell) });

    /// <summary>The data rows containing <paramref name="text"/> (a broker's name, a queue's name, an event kind...).</summary>
    public ILocator Row(string text) => Rows.Filter(new LocatorFilterOptions { HasText = text });

    /// <summary>The data rows whose text matches <paramref name="text"/>.</summary>
    public ILocator Row(Regex text) => Rows.Filter(new LocatorFilterOptions { HasTextRegex = text });

    /// <summary>The cell of <paramref name="row"/> under the column titled <paramref name="column"/>.</summary>
    public async Task<ILocator> CellAsync(ILocator row, string column) => row.GetByRole(AriaRole.Gridcell).Nth(await ColumnIndexAsync(column));

    /// <summary>The cell in the first row containing <paramref name="rowText"/> under <paramref name="column"/>.</summary>
    public Task<ILocator> CellAsync(string rowText, string column) => CellAsync(Row(rowText).First, column);

    /// <summary>The position of the column titled <paramref name="column"/>, waiting for the header to render.</summary>
    public async Task<int> ColumnIndexAsync(string column)
    {
        var headers = Root.GetByRole(AriaRole.Columnheader);
        await Assertions.Expect(headers.Filter(new LocatorFilterOptions { HasText = column })).Not.ToHaveCountAsync(0);
        var titles = await headers.AllInnerTextsAsync();
        for (var i = 0; i < titles.Count; i++)
        {
            if (string.Equals(titles[i].Trim(), column, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }
        throw new InvalidOperationException($"no column '{column}' in [{string.Join(", ", titles.Select(t => t.Trim()))}]");
    }
}
