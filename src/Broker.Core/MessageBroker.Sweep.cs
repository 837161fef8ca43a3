using System.Diagnostics;
using Broker.Core.Destinations;
using Broker.Core.Events;
using Broker.Core.Messages;
using Broker.Core.Storage;

namespace Broker.Core;

public sealed partial class MessageBroker
{
    private static readonly TimeSpan SweepPeriod = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Removals one sweep journals at most: 100,000 destinations going at once would put 100,000 records ahead of the
    /// next persistent send's flush; in slices they go within seconds and a send waits behind at most one slice.
    /// </summary>
    internal const int MaxRemovalsPerSweep = 10_000;

    /// <summary>One sweep at a time; an operator's delete and a switchover's quiesce wait for the one running.</summary>
    private readonly Lock _sweepLock = new();
    private ITimer? _sweep;

    /// <summary>Runs one sweep now, waiting for one in progress (tests, with a hand-moved clock).</summary>
    internal void SweepNow()
    {
        lock (_sweepLock)
        {
            SweepOnce();
        }
    }

    /// <summary>
    /// The destination <paramref name="name"/>, created if need be, held for one operation: the caller must
    /// <see cref="Destination.Exit"/> it. Held, it cannot be removed as inactive, so what the operation puts in
    /// it stays; one retired meanwhile is looked up again, which creates it anew.
    /// </summary>
    internal Destination Enter(DestinationName name, bool enforceLimit = true)
    {
        var spin = new SpinWait();
        while (true)
        {
            var destination = GetOrCreate(name, enforceLimit: enforceLimit);
            if (destination.TryEnter())
            {
                return destination;
            }
            // Being removed this instant: it leaves the dictionary right after its removal is journaled.
            spin.SpinOnce();
        }
    }

    private void Sweep()
    {
        // The timer fires again while a long sweep (many destinations) still runs: skip, the next one catches up.
        if (!_sweepLock.TryEnter())
        {
            return;
        }
        try
        {
            SweepOnce();
        }
        finally
        {
            _sweepLock.Exit();
        }
    }

    /// <summary>
    /// Once a second: expired messages to the dead-letter queues, idle producers and old transaction outcomes
    /// forgotten, and destinations inactive for <see cref="BrokerOptions.InactiveDestinationTimeout"/> removed.
    /// It walks the dictionary without locking it and takes one destination's lock at a time, so senders and
    /// consumers never wait for the sweep as a whole.
    /// </summary>
    private void SweepOnce()
    {
        var now = _context.NowMs;
        var timeoutMs = (long)Options.InactiveDestinationTimeout.TotalMilliseconds;
        var started = Stopwatch.GetTimestamp();
        var removed = 0;
        try
        {
            foreach (var (name, destination) in _destinations)
            {
                // Checked per destination: a switchover waits for this sweep, and nothing may follow its final record.
                if (_context.Quiesced)
                {
                    return;
                }
                destination.SweepExpired();
                if (timeoutMs > 0 && destination.IsInactiveFor(now, timeoutMs) && removed < MaxRemovalsPerSweep && !IsVirtualConsumerQueue(name)
                    && TryRemoveInactive(name, destination))
                {
                    removed++;
                }
            }
            Duplicates.ForgetIdle(now);
            TransactionOutcomes.ForgetExpired(now);
        }
        catch (Exception e)
        {
            // A timer callback must never take the process down; the next sweep tries again.
            BrokerLog.SweepFailed(_logger, e, Name);
        }
        finally
        {
            if (removed > 0)
            {
                // One line and one event per sweep, however many went: 100,000 events would bury the timeline.
                var elapsedMs = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                BrokerLog.InactiveDestinationsRemoved(_logger, Name, removed, Options.InactiveDestinationTimeout.TotalSeconds, _destinations.Count, elapsedMs);
                Publish(BrokerEventKind.InactiveDestinationsRemoved,
                    $"{removed} destinations removed after {Options.InactiveDestinationTimeout.TotalSeconds:0.###} s without consumers, messages or durable subscriptions");
            }
        }
    }

    /// <summary>
    /// A virtual topic's consumer queue stays while idle, as in ActiveMQ: removed, it would stop collecting the topic's
    /// messages while its consumers are away (a restart of the application that reads it).
    /// </summary>
    private static bool IsVirtualConsumerQueue(DestinationName name) =>
        name.IsQueue && name.Name.StartsWith(VirtualConsumerPrefix, StringComparison.Ordinal) && VirtualTopicOf(name.Name) is not null;

    /// <summary>
    /// Removes a destination the sweep found inactive, unless an operation holds it or used it meanwhile. The removal
    /// is journaled while the retired destination is still in the dictionary: a sender that comes now waits for it to
    /// leave, then creates the destination anew and journals that creation after this removal, so a restart and the
    /// slave, replaying in order, end where this broker is.
    /// </summary>
    private bool TryRemoveInactive(DestinationName name, Destination destination)
    {
        if (!destination.TryRetire())
        {
            return false;
        }
        try
        {
            _context.Append(new DestinationDeletedRecord(name));
        }
        catch
        {
            // Not journaled (a full disk, a fenced master): it stays, so the journal and the broker still agree.
            destination.Restore();
            throw;
        }
        if (_destinations.TryRemove(KeyValuePair.Create(name, destination)))
        {
            Removed(destination);
        }
        return true;
    }

    /// <summary>Waits for a sweep in progress to stop: it sees <see cref="BrokerContext.Quiesced"/> at its next destination.</summary>
    private void WaitForSweep()
    {
        lock (_sweepLock)
        {
            // Nothing to do: holding the lock once means no sweep is appending records any more.
        }
    }
}
