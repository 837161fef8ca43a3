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
        else
        {
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
        foreach (var (queued, consumer, firstOfGroup) in _chosen)
        {
            _pending.Remove(queued);
            consumer.Reserved = 0;
            Deliver(queued, consumer, firstOfGroup);
        }
        _expired.Clear();
        _chosen.Clear();
        _settled = true;
    }

    /// <summary>
    /// Who may receive in this pass: the oldest exclusive consumer alone when there is one, else every consumer;
    /// narrowed to <paramref name="only"/> when only its room changed.
    /// </summary>
    private List<Consumer> Candidates(Consumer? only)
    {
        var exclusive = _consumers.Find(c => c.Options.Exclusive);
        if (exclusive is not null)
        {
            return only is null || only == exclusive ? [exclusive] : [];
        }
        return only is null ? _consumers : _consumers.Contains(only) ? [only] : [];
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
        }
        _chosen.Add((queued, consumer, firstOfGroup));
    }
}
