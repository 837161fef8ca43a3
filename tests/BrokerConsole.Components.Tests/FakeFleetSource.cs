using System.Runtime.CompilerServices;
using System.Threading.Channels;
using BrokerConsole.Remote;

namespace BrokerConsole.Components.Tests;

/// <summary>An <see cref="IFleetSource"/> the test drives: every snapshot written to <see cref="Snapshots"/> reaches the page.</summary>
internal sealed class FakeFleetSource : IFleetSource
{
    private int _watchers;

    public Channel<FleetSnapshot> Snapshots { get; } = Channel.CreateUnbounded<FleetSnapshot>();

    /// <summary>Subscriptions currently open; a disposed page must leave none behind.</summary>
    public int Watchers => Volatile.Read(ref _watchers);

    public FleetSnapshot Snapshot() => new([], [], []);

    public async IAsyncEnumerable<FleetSnapshot> Watch([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _watchers);
        try
        {
            await foreach (var snapshot in Snapshots.Reader.ReadAllAsync(cancellationToken))
            {
                yield return snapshot;
            }
        }
        finally
        {
            Interlocked.Decrement(ref _watchers);
        }
    }
}
