namespace BrokerConsole.Monitoring;

/// <summary>
/// The last <c>capacity</c> samples of one series, oldest overwritten: the memory a history costs is fixed however long
/// the broker runs. Not thread-safe; <see cref="MonitorSource"/> guards its rings with one lock.
/// </summary>
internal sealed class RateRing(int capacity)
{
    private readonly RateSample[] _samples = new RateSample[capacity];
    private int _next;
    private int _count;

    public void Add(RateSample sample)
    {
        _samples[_next] = sample;
        _next = (_next + 1) % _samples.Length;
        _count = Math.Min(_count + 1, _samples.Length);
    }

    /// <summary>The samples, oldest first.</summary>
    public RateSample[] ToArray()
    {
        var result = new RateSample[_count];
        var start = (_next - _count + _samples.Length) % _samples.Length;
        for (var i = 0; i < _count; i++)
        {
            result[i] = _samples[(start + i) % _samples.Length];
        }
        return result;
    }
}
