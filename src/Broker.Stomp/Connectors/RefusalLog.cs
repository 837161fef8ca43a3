using System.Net;
using Microsoft.Extensions.Logging;

namespace Broker.Stomp.Connectors;

/// <summary>
/// Logs refused connections at most once per remote address per <see cref="Interval"/>, each line with how many
/// went unlogged since, so a flood of refusals cannot become a flood of log lines.
/// </summary>
internal sealed class RefusalLog(ILogger logger, string uri)
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(60);

    // Past this many addresses (a spoofed-looking spread), the rest share one entry: the table stays small.
    private const int MaxAddresses = 4096;
    private static readonly IPAddress Others = IPAddress.IPv6None;
    private readonly Dictionary<IPAddress, (long LoggedAt, long Unlogged)> _lastLine = [];
    private readonly Lock _lock = new();

    public void Refused(IPAddress address, string reason)
    {
        var now = Environment.TickCount64;
        long unlogged;
        lock (_lock)
        {
            if (_lastLine.Count >= MaxAddresses && !_lastLine.ContainsKey(address))
            {
                Forget(now);
                address = _lastLine.Count >= MaxAddresses ? Others : address;
            }
            if (_lastLine.TryGetValue(address, out var last) && now - last.LoggedAt < Interval.TotalMilliseconds)
            {
                _lastLine[address] = (last.LoggedAt, last.Unlogged + 1);
                return;
            }
            unlogged = last.Unlogged;
            _lastLine[address] = (now, 0);
        }
        var who = ReferenceEquals(address, Others) ? "one of many addresses" : address.ToString();
        StompLog.ConnectionRefused(logger, uri, who, reason, unlogged, (int)Interval.TotalSeconds);
    }

    /// <summary>Drops addresses whose last line is older than the interval (their unlogged count is lost; it is only a hint).</summary>
    private void Forget(long now)
    {
        foreach (var (address, last) in _lastLine)
        {
            if (now - last.LoggedAt >= Interval.TotalMilliseconds)
            {
                _lastLine.Remove(address);
            }
        }
    }
}
