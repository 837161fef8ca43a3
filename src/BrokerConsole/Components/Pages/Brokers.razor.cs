using BrokerConsole.Api;
using BrokerConsole.Components.Controls;
using BrokerConsole.Components.Live;
using BrokerConsole.Monitoring;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;

namespace BrokerConsole.Components.Pages;

/// <summary>
/// Every broker of this process, live from <see cref="IMonitorSource.WatchBrokers"/>, with the operator's
/// actions behind a confirmation; <see cref="IOperatorActions"/> checks the role whatever the markup showed.
/// </summary>
public sealed partial class Brokers : LiveComponent<IReadOnlyList<BrokerView>>
{
    // Name, role, state, epoch, connectors, connections, memory, replication, actions. The grid's cells are its grid
    // items, so max-content sizes a column to its widest cell: a name ("amq1M") or a badge is never cut. The other
    // columns share what is left and wrap, so at 1024 px nothing spills; the actions stack, one button a line at worst.
    private const string Columns =
        "max-content max-content max-content 4rem minmax(6rem, 1.5fr) max-content minmax(5rem, 1fr) minmax(7rem, 1.6fr) min-content";

    private IQueryable<BrokerView> _brokers = Enumerable.Empty<BrokerView>().AsQueryable();
    private IReadOnlyList<(string Name, IReadOnlyList<RateSample> History)> _history = [];
    private IReadOnlyList<string> _names = [];
    private ConfirmDialog _confirm = null!;
    private string? _status;
    private string? _error;

    [CascadingParameter]
    private Task<AuthenticationState> Authentication { get; set; } = null!;

    [Inject]
    private IMonitorSource Monitor { get; set; } = null!;

    [Inject]
    private IOperatorActions Actions { get; set; } = null!;

    protected override IAsyncEnumerable<IReadOnlyList<BrokerView>> Watch(CancellationToken cancellationToken) =>
        Monitor.WatchBrokers(cancellationToken);

    protected override Task ShowAsync(IReadOnlyList<BrokerView> batch)
    {
        _brokers = batch.AsQueryable();
        _names = [.. batch.Select(b => b.Name)];
        _history = [.. batch.Select(b => (b.Name, Monitor.BrokerHistory(b.Name)))];
        return Task.CompletedTask;
    }

    private void Ask(BrokerView broker, OperatorAction action)
    {
        var (title, whatHappens) = OperatorConfirmation.For(broker, action);
        _confirm.Ask(title, whatHappens, action.ToString(), EventCallback.Factory.Create(this, () => RunAsync(broker.Name, action)));
    }

    private async Task RunAsync(string broker, OperatorAction action)
    {
        (_status, _error) = (null, null);
        try
        {
            var state = await Actions.RunAsync((await Authentication).User, broker, action);
            _status = $"{broker}: {action.ToString().ToLowerInvariant()} done; now {state}.";
        }
        catch (OperationException e)
        {
            _error = $"{broker}: {action.ToString().ToLowerInvariant()} refused: {e.Message}";
        }
    }
}
