namespace Broker.Core.Storage;

/// <summary>
/// Which <c>producer-seq</c> numbers of one producer the broker holds: every number up to
/// <see cref="SeenThrough"/>, and above it the ranges accepted within the last <see cref="Size"/> numbers. A
/// number in a hole (refused, or never sent) is new even after a higher one was accepted, so a retry of a
/// refused SEND is stored instead of dropped as a duplicate. Producers send in order, so this is one range
/// almost always.
/// </summary>
public sealed class ProducerWindow
{
    /// <summary>How far behind the highest accepted number holes are remembered; older ones count as seen.</summary>
    public const long Size = 4096;

    private readonly List<(long From, long To)> _accepted = [];

    /// <param name="seenThrough">Every number up to this one counts as seen (what a recovered journal cannot tell apart).</param>
    public ProducerWindow(long seenThrough = long.MinValue, long recordSequence = 0)
    {
        SeenThrough = seenThrough;
        HighWaterRecord = recordSequence;
    }

    public long SeenThrough { get; private set; }

    public long HighWater => _accepted.Count > 0 ? _accepted[^1].To : SeenThrough;

    /// <summary>The journal record that carries the highest accepted number (compaction keeps its mark).</summary>
    public long HighWaterRecord { get; private set; }

    public bool Contains(long sequence)
    {
        if (sequence <= SeenThrough)
        {
            return true;
        }
        for (var i = _accepted.Count - 1; i >= 0; i--)
        {
            var (from, to) = _accepted[i];
            if (sequence > to)
            {
                return false;
            }
            if (sequence >= from)
            {
                return true;
            }
        }
        return false;
    }

    public void Add(long sequence, long recordSequence)
    {
        if (Contains(sequence))
        {
            return;
        }
        if (sequence > HighWater)
        {
            HighWaterRecord = recordSequence;
        }
        // Insert, merging with neighbours; scanned from the end, where a producer in order always lands.
        var i = _accepted.Count;
        while (i > 0 && _accepted[i - 1].From > sequence)
        {
            i--;
        }
        var joinsLeft = i > 0 && _accepted[i - 1].To == sequence - 1;
        var joinsRight = i < _accepted.Count && _accepted[i].From == sequence + 1;
        if (joinsLeft && joinsRight)
        {
            _accepted[i - 1] = (_accepted[i - 1].From, _accepted[i].To);
            _accepted.RemoveAt(i);
        }
        else if (joinsLeft)
        {
            _accepted[i - 1] = (_accepted[i - 1].From, sequence);
        }
        else if (joinsRight)
        {
            _accepted[i] = (sequence, _accepted[i].To);
        }
        else
        {
            _accepted.Insert(i, (sequence, sequence));
        }
        Trim();
    }

    /// <summary>Forgets an accepted number whose message did not become durable after all (its retry is new).</summary>
    public void Remove(long sequence)
    {
        for (var i = 0; i < _accepted.Count; i++)
        {
            var (from, to) = _accepted[i];
            if (sequence < from || sequence > to)
            {
                continue;
            }
            _accepted.RemoveAt(i);
            if (sequence < to)
            {
                _accepted.Insert(i, (sequence + 1, to));
            }
            if (sequence > from)
            {
                _accepted.Insert(i, (from, sequence - 1));
            }
            return;
        }
    }

    /// <summary>Everything up to <paramref name="sequence"/> counts as seen (a compacted journal's mark).</summary>
    public void SeeThrough(long sequence, long recordSequence)
    {
        if (sequence > HighWater)
        {
            HighWaterRecord = recordSequence;
        }
        SeenThrough = Math.Max(SeenThrough, sequence);
        Trim();
    }

    private void Trim()
    {
        var high = HighWater;
        if (high > long.MinValue + Size && high - Size > SeenThrough)
        {
            SeenThrough = high - Size;
        }
        while (_accepted.Count > 0 && _accepted[0].To <= SeenThrough)
        {
            _accepted.RemoveAt(0);
        }
        if (_accepted.Count > 0 && _accepted[0].From <= SeenThrough)
        {
            _accepted[0] = (SeenThrough + 1, _accepted[0].To);
        }
    }
}
