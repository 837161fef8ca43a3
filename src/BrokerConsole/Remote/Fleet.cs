using BrokerConsole.Api;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using BrokerConsole.Hosting;
using BrokerConsole.Monitoring;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace BrokerConsole.Remote;

/// <summary>
/// This host and the hosts it watches as one: the hosts with their states (ours first, as <c>local</c>), every
/// broker marked by host, and the pairs across hosts. What <c>/api/hosts</c>, <c>/api/brokers?scope=all</c> and
/// <c>/api/pairs</c> answer, and what the console draws: <see cref="Watch"/> is all of it live.
/// </summary>
public sealed class Fleet(BrokerRegistry registry, IRemoteHosts remotes, IMonitorSource monitor, IServer server) : IFleetSource
{
    private static readonly DateTimeOffset ProcessStarted = new(System.Diagnostics.Process.GetCurrentProcess().StartTime.ToUniversalTime());

    /// <summary>This host: always connected, since its process started.</summary>
    public HostStatus Local => new(ConsoleOptions.LocalHost, LocalUrl?.ToString().TrimEnd('/') ?? "", HostState.Connected, ProcessStarted, null, Monitoring.MonitorProtocol.Version);

    /// <summary>Our own first HTTP address (null before the server listens).</summary>
    private Uri? LocalUrl =>
        server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() is { } address
            && Uri.TryCreate(address.Replace("://+", "://localhost").Replace("://*", "://localhost"), UriKind.Absolute, out var url) ? url : null;

    /// <summary>Every host, <c>local</c> first, then the watched ones in configuration order.</summary>
    public IReadOnlyList<HostStatus> Hosts() => [Local, .. remotes.Snapshot().Select(h => h.Status)];

    /// <summary>Our brokers, then each watched host's as last received (see <see cref="FleetBroker.HostState"/> for whether that is now).</summary>
    public IReadOnlyList<FleetBroker> Brokers() => Brokers(remotes.Snapshot());

    /// <summary>Every broker grouped into pairs (across hosts) and singles.</summary>
    public IReadOnlyList<PairView> Pairs()
    {
        var hosts = remotes.Snapshot();
        return Pairing.Group(Brokers(hosts), Events(hosts, since: null));
    }

    /// <summary>
    /// The event timeline of every host, oldest first: ours in full (as <c>GET /api/events</c>), each watched host's
    /// recent ones as it sent them (the last <see cref="RemoteHostWatcher.EventsKept"/>), after <paramref name="since"/> when given.
    /// </summary>
    public IReadOnlyList<FleetEvent> Events(DateTimeOffset? since = null) => Events(remotes.Snapshot(), since);

    /// <summary>How many of the newest events a <see cref="FleetSnapshot.Timeline"/> carries.</summary>
    public const int TimelineLength = 12;

    /// <summary>Hosts, brokers, pairs and the newest events of every host at one moment.</summary>
    public FleetSnapshot Snapshot()
    {
        var hosts = remotes.Snapshot();
        var brokers = Brokers(hosts);
        // One pass over every host's events serves the pairs' last failovers and the timeline.
        var events = Events(hosts, since: null);
        return new FleetSnapshot([Local, .. hosts.Select(h => h.Status)], brokers, Pairing.Group(brokers, events))
        {
            Timeline = [.. events.TakeLast(TimelineLength).Reverse()],
        };
    }

    private List<FleetEvent> Events(IReadOnlyList<HostView> hosts, DateTimeOffset? since) =>
        [.. registry.Events.Since(since).Select(e => new FleetEvent(ConsoleOptions.LocalHost, e))
            .Concat(hosts.SelectMany(h => h.Events.Where(e => since is null || e.Time > since).Select(e => new FleetEvent(h.Name, e))))
            .OrderBy(e => e.Event.Time)];

    /// <summary>
    /// The current <see cref="Snapshot"/>, then a fresh one whenever this host's brokers (at most every ~500 ms, see
    /// <see cref="IMonitorSource.WatchBrokers"/>) or a watched host (its state, brokers or events) changed. A slow
    /// reader gets the newest state, never a backlog. Ends when <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    public async IAsyncEnumerable<FleetSnapshot> Watch([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // One pending signal at most: however many changes came meanwhile, the reader takes one fresh snapshot.
        var changed = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
        using var following = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // Registered before the snapshot is taken, so a change right after it still signals.
        Task[] sources = [Signal(monitor.WatchBrokers(following.Token), changed.Writer), Signal(remotes.WatchHosts(following.Token), changed.Writer)];
        try
        {
            yield return Snapshot();
            while (true)
            {
                try
                {
                    if (!await changed.Reader.WaitToReadAsync(cancellationToken))
                    {
                        yield break;
                    }
                }
                catch (OperationCanceledException)
                {
                    yield break;
                }
                changed.Reader.TryRead(out _);
                yield return Snapshot();
            }
        }
        finally
        {
            await following.CancelAsync();
            await Task.WhenAll(sources).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    /// <summary>Signals every item of <paramref name="source"/> but its first (the snapshot the reader already has).</summary>
    private static async Task Signal<T>(IAsyncEnumerable<T> source, ChannelWriter<bool> changed)
    {
        var first = true;
        await foreach (var _ in source)
        {
            if (!first)
            {
                changed.TryWrite(true);
            }
            first = false;
        }
    }

    private List<FleetBroker> Brokers(IReadOnlyList<HostView> hosts)
    {
        var localUrl = LocalUrl;
        var brokers = registry.All
            .Select(b => new FleetBroker(ConsoleOptions.LocalHost, HostState.Connected, localUrl, BrokerView.From(b, monitor), b.Definition.Replication.MasterUri))
            .ToList();
        foreach (var host in hosts)
        {
            var url = new Uri(host.Status.Url);
            brokers.AddRange(host.Brokers.Select(b =>
                new FleetBroker(host.Name, host.Status.State, url, b, host.Links.FirstOrDefault(l => l.Name == b.Name)?.MasterUri)));
        }
        return brokers;
    }

}

/// <summary>Everything <see cref="Fleet"/> knows at one moment: the hosts (<c>local</c> first), every broker by host, the pairs.</summary>
public sealed record FleetSnapshot(IReadOnlyList<HostStatus> Hosts, IReadOnlyList<FleetBroker> Brokers, IReadOnlyList<PairView> Pairs)
{
    /// <summary>The newest events of every host, newest first (at most <see cref="Fleet.TimelineLength"/>).</summary>
    public IReadOnlyList<FleetEvent> Timeline { get; init; } = [];
}

/// <summary>An event of the timeline with the host it happened on (<c>local</c> for ours).</summary>
public sealed record FleetEvent(string Host, Broker.Core.Events.BrokerEvent Event);
