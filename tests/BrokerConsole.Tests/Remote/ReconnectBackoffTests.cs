using BrokerConsole.Remote;

namespace BrokerConsole.Tests.Remote;

public sealed class ReconnectBackoffTests
{
    private static readonly TimeSpan Min = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan Max = TimeSpan.FromSeconds(10);

    [Fact]
    public void Delay_MiddleJitter_DoublesFromMinUpToMax()
    {
        var backoff = new ReconnectBackoff(Min, Max, () => 0.5);

        var delays = Enumerable.Range(0, 8).Select(backoff.Delay).ToList();

        Assert.Equal([500, 1000, 2000, 4000, 8000, 10000, 10000, 10000], delays.Select(d => d.TotalMilliseconds));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.999)]
    public void Delay_AnyJitter_StaysWithinBounds(double random)
    {
        var backoff = new ReconnectBackoff(Min, Max, () => random);

        foreach (var failures in Enumerable.Range(0, 100))
        {
            var delay = backoff.Delay(failures);
            Assert.InRange(delay, Min, Max);
        }
    }

    [Fact]
    public void Delay_Jitter_SpreadsTheSameAttempt()
    {
        var low = new ReconnectBackoff(Min, Max, () => 0.0).Delay(3);
        var high = new ReconnectBackoff(Min, Max, () => 0.999).Delay(3);

        Assert.Equal(3000, low.TotalMilliseconds);
        Assert.True(high.TotalMilliseconds > 4900, $"{high}");
    }

    [Fact]
    public void Delay_ManyFailures_DoesNotOverflow()
    {
        Assert.InRange(ReconnectBackoff.Default.Delay(int.MaxValue), Min, Max);
    }
}
