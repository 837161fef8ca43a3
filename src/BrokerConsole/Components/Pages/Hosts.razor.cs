using BrokerConsole.Components.Live;
using BrokerConsole.Remote;
using Microsoft.AspNetCore.Components;

namespace BrokerConsole.Components.Pages;

/// <summary>This host and every watched one: state since when, the last error, URL and protocol version, live from <see cref="IFleetSource.Watch"/>.</summary>
public sealed partial class Hosts : LiveComponent<FleetSnapshot>
{
    private FleetSnapshot? _fleet;

    [Inject]
    private IFleetSource Fleet { get; set; } = null!;

    protected override IAsyncEnumerable<FleetSnapshot> Watch(CancellationToken cancellationToken) => Fleet.Watch(cancellationToken);

    protected override Task ShowAsync(FleetSnapshot batch)
    {
        _fleet = batch;
        return Task.CompletedTask;
    }

    /// <summary>The names of the host's brokers (as last seen when it is not connected).</summary>
    private string BrokersOn(string host) =>
        _fleet!.Brokers.Where(b => b.Host == host).Select(b => b.View.Name).ToList() is { Count: > 0 } names ? string.Join(", ", names) : "none";
}
