namespace Broker.Client.Tests;

public sealed class ReconnectScheduleTests
{
    [Fact]
    public void NominalDelay_Exponential_DoublesFromInitialAndIsCapped()
    {
        var schedule = new ReconnectSchedule(FailoverUri.Parse("failover:(tcp://a:1)?initialReconnectDelay=10&maxReconnectDelay=100"));

        Assert.Equal([0, 10, 20, 40, 80, 100, 100], Enumerable.Range(1, 7).Select(p => schedule.NominalDelay(p).TotalMilliseconds));
    }

    [Fact]
    public void NominalDelay_WithoutExponentialBackOff_IsConstant()
    {
        var schedule = new ReconnectSchedule(FailoverUri.Parse("failover:(tcp://a:1)?initialReconnectDelay=25&useExponentialBackOff=false"));
        Assert.All(Enumerable.Range(2, 10), p => Assert.Equal(25, schedule.NominalDelay(p).TotalMilliseconds));
    }

    [Fact]
    public void NominalDelay_Exponent_IsUsed()
    {
        var schedule = new ReconnectSchedule(FailoverUri.Parse("failover:(tcp://a:1)?initialReconnectDelay=10&backOffMultiplier=3"));
        Assert.Equal(90, schedule.NominalDelay(4).TotalMilliseconds);
    }

    [Fact]
    public void NominalDelay_ManyPasses_NeverOverflowsTheCap()
    {
        var schedule = new ReconnectSchedule(FailoverOptions.Default);
        Assert.Equal(30000, schedule.NominalDelay(100_000).TotalMilliseconds);
    }

    [Fact]
    public void Delay_Jitter_StaysWithinBoundsAndTheCap()
    {
        var schedule = new ReconnectSchedule(FailoverUri.Parse("failover:(tcp://a:1)?initialReconnectDelay=100&maxReconnectDelay=1000"));
        var random = new Random(42);
        var spread = new HashSet<double>();
        for (var i = 0; i < 2000; i++)
        {
            var pass = 2 + i % 8;
            var nominal = schedule.NominalDelay(pass).TotalMilliseconds;
            var delay = schedule.Delay(pass, random).TotalMilliseconds;
            Assert.InRange(delay, nominal * 0.8, Math.Min(nominal * 1.2, 1000));
            spread.Add(Math.Round(delay));
        }
        Assert.True(spread.Count > 100, "jitter spreads the delays");
    }

    [Fact]
    public void Delay_FirstPass_IsImmediate()
    {
        Assert.Equal(TimeSpan.Zero, new ReconnectSchedule(FailoverOptions.Default).Delay(1, new Random(1)));
    }

    [Fact]
    public void MaxPasses_FollowsMaxAndStartupAttempts()
    {
        Assert.Null(new ReconnectSchedule(FailoverUri.Parse("failover:(tcp://a:1)")).MaxPasses(startup: true));
        Assert.Equal(1, new ReconnectSchedule(FailoverUri.Parse("failover:(tcp://a:1)?maxReconnectAttempts=0")).MaxPasses(startup: false));
        Assert.Equal(1, new ReconnectSchedule(FailoverUri.Parse("failover:(tcp://a:1)?maxReconnectAttempts=0")).MaxPasses(startup: true));
        var both = new ReconnectSchedule(FailoverUri.Parse("failover:(tcp://a:1)?maxReconnectAttempts=5&startupMaxReconnectAttempts=2"));
        Assert.Equal(3, both.MaxPasses(startup: true));
        Assert.Equal(6, both.MaxPasses(startup: false));
        Assert.Equal(1, new ReconnectSchedule(FailoverUri.Parse("tcp://a:1")).MaxPasses(startup: false));
    }

    [Fact]
    public void Order_RandomizeFalse_KeepsWrittenOrderWithTheFailedOneLast()
    {
        var options = FailoverUri.Parse("failover:(tcp://a:1,tcp://b:2,tcp://c:3)?randomize=false");
        var schedule = new ReconnectSchedule(options);
        var random = new Random(7);

        Assert.Equal(["tcp://a:1", "tcp://b:2", "tcp://c:3"], schedule.Order(null, random).Select(e => e.ToString()));
        Assert.Equal(["tcp://b:2", "tcp://c:3", "tcp://a:1"], schedule.Order(options.Endpoints[0], random).Select(e => e.ToString()));
    }

    [Fact]
    public void Order_Randomize_ShufflesEveryEndpoint()
    {
        var options = FailoverUri.Parse("failover:(tcp://a:1,tcp://b:2,tcp://c:3,tcp://d:4)");
        var schedule = new ReconnectSchedule(options);
        var random = new Random(3);
        var firsts = Enumerable.Range(0, 200).Select(_ => schedule.Order(null, random)).ToList();

        Assert.All(firsts, order => Assert.Equal(4, order.Distinct().Count()));
        Assert.Equal(4, firsts.Select(o => o[0]).Distinct().Count());
    }

    [Fact]
    public void Order_PriorityBackup_PutsThePriorityUriFirstEvenWhenRandomized()
    {
        var options = FailoverUri.Parse("failover:(tcp://a:1,tcp://b:2,tcp://c:3)?priorityBackup=true");
        var schedule = new ReconnectSchedule(options);
        var random = new Random(5);
        Assert.All(Enumerable.Range(0, 50), _ => Assert.Equal("tcp://a:1", schedule.Order(null, random)[0].ToString()));

        var listed = new ReconnectSchedule(FailoverUri.Parse("failover:(tcp://a:1,tcp://b:2,tcp://c:3)?priorityBackup=true&priorityURIs=tcp://c:3&randomize=false"));
        Assert.Equal(["tcp://c:3", "tcp://a:1", "tcp://b:2"], listed.Order(null, random).Select(e => e.ToString()));
    }

    [Fact]
    public void Describe_ListsThePassesAndTheLimit()
    {
        var lines = new ReconnectSchedule(FailoverUri.Parse("failover:(tcp://a:1)?maxReconnectAttempts=2")).Describe().ToList();
        Assert.Equal(["pass 1: at once", "pass 2: after 10 ms (±2 ms), 10 ms since the link dropped", "pass 3: after 20 ms (±4 ms), 30 ms since the link dropped", "then the connection fails"], lines);
    }
}
