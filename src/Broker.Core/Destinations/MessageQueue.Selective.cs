using Broker.Core.Consumers;
using Broker.Core.Messages;

namespace Broker.Core.Destinations;

/// <summary>
/// Dispatch when arrival order and round-robin are not enough: consumers with selectors, priorities or exclusivity,
/// and message groups. A message no consumer may take now stays where it is and never holds back those behind it.
/// </summary>
internal sealed partial class MessageQueue
{
    private readonly List<(QueuedMessage Message, Consumer Consumer, bool FirstOfGroup)> _chosen = [];
    private readonly List<QueuedMessage> _expired = [];

    private readonly List<Consumer> _onlyCandidate = new(1);

    // A group closed in this pass: messages of it that consumers looked past may now be theirs.
    private bool _cursorsStale;

    private void DispatchSelectively(ref DeadLetters? dead, Consumer? only, QueuedMessage? added)
    {
        // Unsettled (a consumer came or went, messages came back): a whole pass over every consumer.
        var candidates = Candidates(_settled ? only : null);
        if (candidates.Count == 0)
        {
            _settled = true;
            return;
        }
        var now = _context.NowMs;
        if (_settled && added is not null)
        {
            if (_pending.Contains(added))
            {
                Consider(added, candidates, now);
            }
        }
        else if (_settled && only is not null)
        {
            ScanFor(only, now);
        }
        else
        {
            foreach (var consumer in _consumers)
            {
                consumer.ScannedThrough = null;
            }
            foreach (var queued in _pending)
            {
                if (!HasRoom(candidates))
                {
                    break;
                }
                Consider(queued, candidates, now);
            }
        }
        foreach (var queued in _expired)
        {
            _pending.Remove(queued);
            Expire(queued, ref dead);
        }
        _expired.Clear();
        // Taken out of the shared list first: a sink may come back into this queue (same thread, same lock) as it delivers.
        var chosen = _chosen.Count == 0 ? [] : _chosen.ToArray();
        _chosen.Clear();
        foreach (var (queued, consumer, firstOfGroup) in chosen)
        {
            _pending.Remove(queued);
            consumer.Reserved = 0;
            Deliver(queued, consumer, firstOfGroup);
        }
        if (_settled && added is not null)
        {
            ForgetCursorsPast(added);
        }
        if (_cursorsStale)
        {
            _cursorsStale = false;
            foreach (var consumer in _consumers)
            {
                consumer.ScannedThrough = null;
            }
        }
        _settled = true;
    }

    /// <summary>
    /// One consumer has room again: it looks on from where it last stopped, since everything before that which still
    /// waits is something it cannot take. Without this, a fast consumer among many selective ones would walk past
    /// every message the slower ones have not taken yet, on every ACK.
    /// </summary>
    private void ScanFor(Consumer consumer, long now)
    {
        var from = consumer.ScannedThrough;
        if (from is not null && QueuedMessage.DispatchOrder.Compare(from, _pending.Max!) >= 0)
        {
            return;
        }
        var rest = from is null ? _pending : _pending.GetViewBetween(from, _pending.Max!);
        QueuedMessage? last = null;
        foreach (var queued in rest)
        {
            if (!consumer.HasRoomInPass)
            {
                break;
            }
            Consider(queued, _onlyCandidate, now);
            last = queued;
        }
        consumer.ScannedThrough = last ?? from;
    }

    /// <summary>A message that stays waiting ahead of where consumers stopped looking (a higher priority): they look again.</summary>
    private void ForgetCursorsPast(QueuedMessage waiting)
    {
        if (!_pending.Contains(waiting))
        {
            return;
        }
        foreach (var consumer in _consumers)
        {
            if (consumer.ScannedThrough is { } cursor && QueuedMessage.DispatchOrder.Compare(waiting, cursor) < 0)
            {
                consumer.ScannedThrough = null;
            }
        }
    }

    /// <summary>
    /// Who may receive in this pass: the oldest exclusive consumer alone when there is one, else every consumer;
    /// narrowed to <paramref name="only"/> when only its room changed.
    /// </summary>
    private List<Consumer> Candidates(Consumer? only)
    {
        var exclusive = _exclusiveConsumers == 0 ? null : _consumers.Find(c => c.Options.Exclusive);
        var single = exclusive is null ? only : only is null || only == exclusive ? exclusive : null;
        if (exclusive is null && only is null)
        {
            return _consumers;
        }
        _onlyCandidate.Clear();
        if (single is not null && !single.IsClosed)
        {
            _onlyCandidate.Add(single);
        }
        return _onlyCandidate;
    }

    private static bool HasRoom(List<Consumer> candidates)
    {
        foreach (var consumer in candidates)
        {
            if (consumer.HasRoomInPass)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Chooses a consumer for one message, if one may take it now; the choice is carried out after the pass.</summary>
    private void Consider(QueuedMessage queued, List<Consumer> candidates, long now)
    {
        if (queued.IsExpired(now))
        {
            _expired.Add(queued);
            return;
        }
        Message? loaded = null;
        if (queued.GroupId is { } groupId && _groups.OwnerOf(groupId) is { } owner)
        {
            if (!candidates.Contains(owner))
            {
                // The owner may not receive now (an exclusive consumer took over): the group moves with the messages.
                if (candidates.Count == 1 && candidates[0].Options.Exclusive)
                {
                    _groups.Assign(groupId, candidates[0]);
                    Take(queued, candidates[0], firstOfGroup: true);
                }
                return;
            }
            if (owner.HasRoomInPass && owner.Accepts(queued, ref loaded, _context.Store))
            {
                Take(queued, owner, firstOfGroup: false);
            }
            return;
        }
        // The highest priority with room wins; among equals, the first after the last one served (round-robin).
        Consumer? best = null;
        var bestIndex = 0;
        var count = candidates.Count;
        var start = _nextConsumer % count;
        for (var i = 0; i < count; i++)
        {
            var index = (start + i) % count;
            var consumer = candidates[index];
            if (!consumer.HasRoomInPass || (best is not null && consumer.Options.Priority <= best.Options.Priority))
            {
                continue;
            }
            if (consumer.Accepts(queued, ref loaded, _context.Store))
            {
                (best, bestIndex) = (consumer, index);
            }
        }
        if (best is null)
        {
            return;
        }
        if (candidates == _consumers)
        {
            _nextConsumer = (bestIndex + 1) % count;
        }
        var first = false;
        if (queued.GroupId is { } newGroup)
        {
            _groups.Assign(newGroup, best);
            first = true;
        }
        Take(queued, best, first);
    }

    private void Take(QueuedMessage queued, Consumer consumer, bool firstOfGroup)
    {
        consumer.Reserved++;
        if (queued.ClosesGroup)
        {
            _groups.Close(queued.GroupId!);
            _cursorsStale = true;
        }
        _chosen.Add((queued, consumer, firstOfGroup));
    }
}
