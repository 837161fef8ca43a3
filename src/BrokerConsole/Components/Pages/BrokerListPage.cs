using System.Security.Claims;
using BrokerConsole.Api;
using BrokerConsole.Components.Controls;
using BrokerConsole.Components.Live;
using BrokerConsole.Monitoring;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;

namespace BrokerConsole.Components.Pages;

/// <summary>
/// A page listing something of one broker that has no change stream of its own (its connections, subscriptions,
/// scheduled jobs): read at once when the page opens, then every second while it is open (<see cref="Polled"/>), on
/// Refresh and after an action. Holds what those pages share: the broker from the route (else the first), the
/// outcome of the last action and the confirmation dialog.
/// </summary>
public abstract class BrokerListPage<T> : LiveComponent<T>
    where T : class
{
    /// <summary>How often an open page reads the list again.</summary>
    internal static readonly TimeSpan RefreshEvery = TimeSpan.FromSeconds(1);

    private T? _items;

    [Parameter]
    public string? Broker { get; set; }

    [CascadingParameter]
    private Task<AuthenticationState> Authentication { get; set; } = null!;

    [Inject]
    private IMonitorSource Monitor { get; set; } = null!;

    protected string SelectedBroker => Broker ?? Monitor.BrokerNames().FirstOrDefault() ?? "";

    protected T Items => _items ?? Empty;

    protected ConfirmDialog Confirm { get; set; } = null!;

    /// <summary>What the last action did, or why the list or the action was refused.</summary>
    protected string? Status { get; private set; }

    protected string? Error { get; private set; }

    /// <summary>What the page shows when the broker cannot answer.</summary>
    protected abstract T Empty { get; }

    /// <summary>The list as <paramref name="broker"/> has it now; throws <see cref="OperationException"/> when it cannot answer.</summary>
    protected abstract T Read(string broker);

    protected override object? StreamKey => SelectedBroker;

    protected override async Task OnParametersSetAsync()
    {
        // Read at once, so the first render shows the list; then live.
        Load();
        await base.OnParametersSetAsync();
    }

    protected override IAsyncEnumerable<T> Watch(CancellationToken cancellationToken) => Polled.Every(RefreshEvery, ReadOrKeep, cancellationToken);

    protected override Task ShowAsync(T batch)
    {
        _items = batch;
        return Task.CompletedTask;
    }

    protected void Load()
    {
        try
        {
            _items = Read(SelectedBroker);
        }
        catch (OperationException e)
        {
            (_items, Error) = (Empty, e.Message);
        }
    }

    /// <summary>Runs an operator's action as the signed-in user (the operation checks the role), says how it went and reads the list again.</summary>
    protected async Task ActAsync(Func<ClaimsPrincipal, Task> action, string done)
    {
        (Status, Error) = (null, null);
        try
        {
            await action((await Authentication).User);
            Status = done;
        }
        catch (OperationException e)
        {
            Error = e.Message;
        }
        Load();
    }

    /// <summary>A fresh list, or the one shown when the broker cannot answer now (the page already says why).</summary>
    private T ReadOrKeep()
    {
        try
        {
            return Read(SelectedBroker);
        }
        catch (OperationException)
        {
            return Items;
        }
    }
}
