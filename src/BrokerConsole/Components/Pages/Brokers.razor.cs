using BrokerConsole.Api;
using BrokerConsole.Components.Live;
using BrokerConsole.Monitoring;
using Microsoft.AspNetCore.Components;

namespace BrokerConsole.Components.Pages;

/// <summary>Every broker of this process, live from <see cref="IMonitorSource.WatchBrokers"/>.</summary>
public sealed partial class Brokers : LiveComponent<IReadOnlyList<BrokerView>>
{
    private IQueryable<BrokerView> _brokers = Enumerable.Empty<BrokerView>().AsQueryable();

    [Inject]
    private IMonitorSource Monitor { get; set; } = null!;

    protected override IAsyncEnumerable<IReadOnlyList<BrokerView>> Watch(CancellationToken cancellationToken) =>
        Monitor.WatchBrokers(cancellationToken);

    protected override Task ShowAsync(IReadOnlyList<BrokerView> batch)
    {
        _brokers = batch.AsQueryable();
        return Task.CompletedTask;
    }
}
