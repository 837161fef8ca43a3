using System.Security.Claims;
using Broker.Core;
using BrokerConsole.Api;
using BrokerConsole.Components.Controls;
using BrokerConsole.Components.Live;
using BrokerConsole.Monitoring;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.FluentUI.AspNetCore.Components;

namespace BrokerConsole.Components.Pages;

/// <summary>
/// One queue: its live depth and chart, its messages page by page (browsed, never consumed; filtered on the
/// server), one message in detail, and the admin's actions on them. Every action goes through
/// <see cref="QueueOperations"/>, which checks the role and audits, whatever the markup showed.
/// </summary>
public sealed partial class QueueDetail : LiveComponent<DestinationChanges>
{
    internal const int PageSize = 20;

    // Id, time, priority, deliveries, size, body (the last one, left out while a message is open). An id wraps rather
    // than being cut: ids of one broker differ only at their end (ID:amq1M-…-17, …-18), the part an ellipsis would
    // hide. The figures are as wide as they need.
    private const string ColumnsBesideDetail = "minmax(9rem, 2fr) max-content max-content max-content max-content";
    private const string Columns = ColumnsBesideDetail + " minmax(6rem, 2fr)";

    private readonly PaginationState _pagination = new() { ItemsPerPage = PageSize };
    private FluentDataGrid<BrowsedMessage>? _grid;
    private GridItemsProvider<BrowsedMessage> _provider = null!;
    private ConfirmDialog _confirm = null!;
    private DestinationRow? _row;
    private IReadOnlyList<RateSample> _history = [];
    private BrowsedMessage? _selected;
    private string _filter = "";
    private string _appliedFilter = "";
    private string _selector = "";
    private string _appliedSelector = "";
    private string _target = "";
    private int _total;
    private string? _status;
    private string? _error;

    [Parameter]
    public string Broker { get; set; } = "";

    [Parameter]
    public string Queue { get; set; } = "";

    [CascadingParameter]
    private Task<AuthenticationState> Authentication { get; set; } = null!;

    [Inject]
    private IMonitorSource Monitor { get; set; } = null!;

    [Inject]
    private QueueOperations Queues { get; set; } = null!;

    [Inject]
    private NavigationManager Navigation { get; set; } = null!;

    protected override object? StreamKey => Broker;

    protected override void OnInitialized() => _provider = ProvidePage;

    protected override IAsyncEnumerable<DestinationChanges> Watch(CancellationToken cancellationToken) =>
        Monitor.WatchDestinations(Broker, cancellationToken);

    protected override Task ShowAsync(DestinationChanges batch)
    {
        if (batch.Updated.FirstOrDefault(IsThisQueue) is { } row)
        {
            _row = row;
        }
        else if (batch.IsSnapshot || batch.Removed.Any(IsThisQueue))
        {
            _row = null;
        }
        _history = Monitor.DestinationHistory(Broker, "queue", Queue);
        return Task.CompletedTask;
    }

    private bool IsThisQueue(DestinationRow row) => row.Kind == "queue" && row.Name == Queue;

    private ValueTask<GridItemsProviderResult<BrowsedMessage>> ProvidePage(GridItemsProviderRequest<BrowsedMessage> request)
    {
        try
        {
            var (total, page) = Queues.Browse(Broker, Queue, request.StartIndex, request.Count ?? PageSize, _appliedFilter, _appliedSelector);
            if (_total != total)
            {
                // The count above the grid is this page's markup, not the grid's: it must render too.
                _total = total;
                StateHasChanged();
            }
            return ValueTask.FromResult(GridItemsProviderResult.From(page.ToArray(), total));
        }
        catch (OperationException e)
        {
            _error = e.Message;
            return ValueTask.FromResult(GridItemsProviderResult.From<BrowsedMessage>([], 0));
        }
    }

    private async Task ApplyFilterAsync()
    {
        _appliedFilter = _filter.Trim();
        _appliedSelector = _selector.Trim();
        _error = null;
        await _pagination.SetCurrentPageIndexAsync(0);
        await RefreshAsync();
    }

    private async Task RefreshAsync()
    {
        if (_grid is not null)
        {
            await _grid.RefreshDataAsync();
        }
    }

    private void Select(BrowsedMessage message)
    {
        _selected = message;
        _target = "";
    }

    private string MoveKey(BrowsedMessage message) => RunningOperations.MoveKey(Broker, Queue, message.Message.MessageId);

    private void CloseDetail() => _selected = null;

    private static string? OriginalDestination(BrowsedMessage message) => message.Message.Header(QueueOperations.OriginalDestinationHeader);

    private string DownloadHref(BrowsedMessage message) =>
        $"api/brokers/{Uri.EscapeDataString(Broker)}/queues/{Uri.EscapeDataString(Queue)}/messages/{Uri.EscapeDataString(message.Message.MessageId)}/body";

    // Each takes the picked message before it awaits: the panel may be closed, or another message picked, meanwhile.
    private Task DeleteMessageAsync()
    {
        var id = _selected!.Message.MessageId;
        return RunAsync(user =>
        {
            Queues.DeleteMessage(user, Broker, Queue, id);
            return Task.FromResult($"Deleted message {id}.");
        });
    }

    private Task MoveAsync(bool copy)
    {
        var (id, target) = (_selected!.Message.MessageId, _target);
        return RunAsync(async user => $"{(copy ? "Copied" : "Moved")} message {id} to {target} as {await Queues.MoveAsync(user, Broker, Queue, id, target, copy)}.");
    }

    private Task RetryAsync()
    {
        var (id, original) = (_selected!.Message.MessageId, OriginalDestination(_selected));
        return RunAsync(async user => $"Sent message {id} back to {original} as {await Queues.RetryAsync(user, Broker, Queue, id)}.");
    }

    private void AskPurge() => _confirm.Ask(
        $"Purge queue {Queue}?",
        $"Every message waiting in queue '{Queue}' on {Broker} ({_row?.Pending ?? _total} now) is deleted; messages out with consumers stay with them. This cannot be undone.",
        "Purge", EventCallback.Factory.Create(this, () => RunAsync(async user => $"Purged {await Queues.PurgeAsync(user, Broker, Queue)} messages.")));

    private void AskDeleteQueue() => _confirm.Ask(
        $"Delete queue {Queue}?",
        $"Queue '{Queue}' on {Broker} is deleted with its {_row?.Pending ?? _total} waiting messages, and its {_row?.Consumers ?? 0} consumers are told so. A client sending to it later creates it again, empty.",
        "Delete queue", EventCallback.Factory.Create(this, () => RunAsync(user =>
        {
            Queues.DeleteQueue(user, Broker, Queue);
            Navigation.NavigateTo($"brokers/{Uri.EscapeDataString(Broker)}/destinations");
            return Task.FromResult($"Deleted queue {Queue}.");
        })));

    /// <summary>Runs an action as the signed-in user and shows its outcome; the message list is read again after it.</summary>
    private async Task RunAsync(Func<ClaimsPrincipal, Task<string>> action)
    {
        (_status, _error) = (null, null);
        try
        {
            _status = await action((await Authentication).User);
            _selected = null;
            await RefreshAsync();
        }
        catch (OperationException e)
        {
            _error = e.Message;
        }
    }
}
