using System.Runtime.CompilerServices;

namespace BrokerConsole.Components.Live;

/// <summary>
/// A live stream for state that has no change stream of its own (a broker's connections and subscriptions): a fresh
/// in-process read now and then every <c>period</c>. Cheap (a list copied under a lock), and only while a page shows it.
/// </summary>
public static class Polled
{
    public static async IAsyncEnumerable<T> Every<T>(TimeSpan period, Func<T> read, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(period);
        do
        {
            yield return read();
        }
        while (await WaitAsync(timer, cancellationToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
