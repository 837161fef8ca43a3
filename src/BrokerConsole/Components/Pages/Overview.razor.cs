using BrokerConsole.Api;
using BrokerConsole.Components.Controls;
using BrokerConsole.Components.FleetView;
using BrokerConsole.Components.Live;
using BrokerConsole.Remote;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;

namespace BrokerConsole.Components.Pages;

/// <summary>
/// The home of the console: every pair and single broker of every host, live from <see cref="IFleetSource.Watch"/>, with
/// the alerts of <see cref="FleetAlerts"/> and the operator's actions on any host's broker (a watched host's through
/// <see cref="IRemoteActions"/>, ours through <see cref="IOperatorActions"/>; both check the role whatever the markup showed).
/// </summary>
public sealed partial class Overview : LiveComponent<FleetSnapshot>
{
    private FleetSnapshot? _fleet;
    private IReadOnlyList<FleetAlert> _alerts = [];
    private Dictionary<string, FleetBroker> _brokers = [];
    private readonly HashSet<string> _running = [];
    private ConfirmDialog _confirm = null!;
    private string? _status;
    private string? _error;

    [CascadingParameter]
    private Task<AuthenticationState> Authentication { get; set; } = null!;

    [Inject]
    private IFleetSource Fleet { get; set; } = null!;

    [Inject]
    private IRemoteActions RemoteActions { get; set; } = null!;

    [Inject]
    private IOperatorActions LocalActions { get; set; } = null!;

    protected override IAsyncEnumerable<FleetSnapshot> Watch(CancellationToken cancellationToken) => Fleet.Watch(cancellationToken);

    protected override Task ShowAsync(FleetSnapshot batch)
    {
        _fleet = batch;
        _alerts = FleetAlerts.Of(batch);
        _brokers = [];
        foreach (var broker in batch.Brokers)
        {
            _brokers.TryAdd(MemberAction.BrokerKey(broker.Host, broker.View.Name), broker);
        }
        return Task.CompletedTask;
    }

    private void Ask(MemberAction request)
    {
        var (title, whatHappens) = OperatorConfirmation.For(request.Broker.View, request.Action);
        _confirm.Ask($"{title.TrimEnd('?')} on {request.Broker.Host}?", whatHappens, request.Action.ToString(),
            EventCallback.Factory.Create(this, () => RunAsync(request)));
    }

    private async Task RunAsync(MemberAction request)
    {
        // One action at a time per broker: its buttons are disabled meanwhile, and a second confirmation does nothing.
        if (!_running.Add(request.Key))
        {
            return;
        }
        var (host, broker) = (request.Broker.Host, request.Broker.View.Name);
        var what = $"{broker} on {host}: {request.Action.ToString().ToLowerInvariant()}";
        (_status, _error) = (null, null);
        try
        {
            var user = (await Authentication).User;
            if (host == ConsoleOptions.LocalHost)
            {
                _status = $"{what} done; now {await LocalActions.RunAsync(user, broker, request.Action)}.";
            }
            else
            {
                var (done, text) = RemoteAnswer.Describe(await RemoteActions.RunAsync(user, host, broker, request.Action));
                if (done)
                {
                    _status = $"{what} done; {text}.";
                }
                else
                {
                    _error = $"{what} refused by {host}: {text}";
                }
            }
        }
        catch (OperationException e)
        {
            _error = $"{what} refused: {e.Message}";
        }
        finally
        {
            _running.Remove(request.Key);
        }
    }
}
