namespace Broker.Core;

/// <summary>Bytes of message data a broker holds in memory, against its limit.</summary>
public sealed class MemoryAccount(long limit)
{
    private long _used;

    public long Limit { get; } = limit;

    public long Used => Interlocked.Read(ref _used);

    public void Add(long bytes) => Interlocked.Add(ref _used, bytes);

    public void Release(long bytes) => Interlocked.Add(ref _used, -bytes);
}
