using BrokerConsole.Api;
using BrokerConsole.Components.Controls;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;

namespace BrokerConsole.Components.Pages;

/// <summary>
/// The Brokers page's alert for set-aside archives: each one with its count, time range and destinations, and
/// (admin) Replay and Discard behind a confirmation. Listed again on every broker snapshot the page receives (the
/// listing reads only archives whose files changed) and after each action; <see cref="ISetAsideArchives"/> checks the
/// role whatever the markup showed.
/// </summary>
public sealed partial class SetAsideAlerts : ComponentBase
{
    private IReadOnlyList<SetAsideView> _archives = [];
    private ConfirmDialog _confirm = null!;
    private string? _status;
    private string? _error;
    private bool _listing;
    private bool _listAgain;

    /// <summary>The brokers to list; a new value (the page's next snapshot) lists again.</summary>
    [Parameter]
    public IReadOnlyList<string> Brokers { get; set; } = [];

    [CascadingParameter]
    private Task<AuthenticationState> Authentication { get; set; } = null!;

    [Inject]
    private ISetAsideArchives Archives { get; set; } = null!;

    protected override Task OnParametersSetAsync() => ListAsync();

    private async Task ListAsync()
    {
        // Snapshots can come faster than a large archive is read: one listing at a time, and one more after it.
        if (_listing)
        {
            _listAgain = true;
            return;
        }
        _listing = true;
        try
        {
            do
            {
                _listAgain = false;
                var views = new List<SetAsideView>();
                foreach (var broker in Brokers)
                {
                    try
                    {
                        views.AddRange(await Archives.ListAsync(broker));
                    }
                    catch (OperationException)
                    {
                        // The broker went away between the snapshot and now.
                    }
                }
                _archives = views;
            }
            while (_listAgain);
        }
        finally
        {
            _listing = false;
        }
    }

    private void AskReplay(SetAsideView view)
    {
        var (title, whatHappens) = SetAsideText.ReplayQuestion(view);
        _confirm.Ask(title, whatHappens, "Replay", EventCallback.Factory.Create(this, () => RunAsync(view, replay: true)));
    }

    private void AskDiscard(SetAsideView view)
    {
        var (title, whatHappens) = SetAsideText.DiscardQuestion(view);
        _confirm.Ask(title, whatHappens, "Discard", EventCallback.Factory.Create(this, () => RunAsync(view, replay: false)));
    }

    private async Task RunAsync(SetAsideView view, bool replay)
    {
        (_status, _error) = (null, null);
        var user = (await Authentication).User;
        try
        {
            if (replay)
            {
                var done = await Archives.ReplayAsync(user, view.Broker, view.Archive.Id);
                _status = SetAsideText.Replayed(done);
            }
            else
            {
                var discarded = await Archives.DiscardAsync(user, view.Broker, view.Archive.Id);
                _status = $"{view.Broker}: archive {discarded.Id} discarded ({discarded.Messages} messages).";
            }
        }
        catch (OperationException e)
        {
            _error = $"{view.Broker}: {(replay ? "replay" : "discard")} of {view.Archive.Id} refused: {e.Message}";
        }
        await ListAsync();
    }
}
