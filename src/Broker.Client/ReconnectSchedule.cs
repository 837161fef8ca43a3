namespace Broker.Client;

/// <summary>
/// The reconnect schedule that <see cref="FailoverOptions"/> imply. A pass tries every endpoint once; pass 1
/// starts at once, pass n (n ≥ 2) after <c>min(initialReconnectDelay × exponent^(n-2), maxReconnectDelay)</c>,
/// spread by ±<see cref="FailoverOptions.Jitter"/> and capped again at <c>maxReconnectDelay</c>.
/// </summary>
public sealed class ReconnectSchedule(FailoverOptions options)
{
    /// <summary>The options this schedule follows.</summary>
    public FailoverOptions Options { get; } = options ?? throw new ArgumentNullException(nameof(options));

    /// <summary>
    /// How many passes may be made in all: before the first connection (<paramref name="startup"/>) the
    /// startup limit if set, else <c>maxReconnectAttempts</c>; null means forever. A limit of N allows 1 + N passes.
    /// </summary>
    public int? MaxPasses(bool startup)
    {
        if (!Options.IsFailover)
        {
            return 1;
        }
        var limit = startup && Options.StartupMaxReconnectAttempts != -1 ? Options.StartupMaxReconnectAttempts : Options.MaxReconnectAttempts;
        return limit < 0 ? null : limit + 1;
    }

    /// <summary>The delay before pass <paramref name="pass"/> (1-based), without jitter.</summary>
    public TimeSpan NominalDelay(int pass)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pass, 1);
        if (pass == 1)
        {
            return TimeSpan.Zero;
        }
        var initial = Options.InitialReconnectDelay.TotalMilliseconds;
        var max = Options.MaxReconnectDelay.TotalMilliseconds;
        var ms = Options.UseExponentialBackOff ? initial * Math.Pow(Options.ReconnectDelayExponent, pass - 2) : initial;
        return TimeSpan.FromMilliseconds(Math.Min(double.IsFinite(ms) ? ms : max, max));
    }

    /// <summary>The delay before pass <paramref name="pass"/> with jitter: within ±Jitter of the nominal one, never above the cap.</summary>
    public TimeSpan Delay(int pass, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var nominal = NominalDelay(pass).TotalMilliseconds;
        var spread = nominal * Options.Jitter * (2 * random.NextDouble() - 1);
        return TimeSpan.FromMilliseconds(Math.Clamp(nominal + spread, 0, Options.MaxReconnectDelay.TotalMilliseconds));
    }

    /// <summary>
    /// The order to try the endpoints in on one pass: shuffled when <c>randomize</c>, the priority endpoints
    /// first under <c>priorityBackup</c>, and the endpoint that just failed (<paramref name="current"/>) last.
    /// </summary>
    public IReadOnlyList<BrokerEndpoint> Order(BrokerEndpoint? current, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var order = Options.Endpoints.ToList();
        if (Options.Randomize)
        {
            for (var i = order.Count - 1; i > 0; i--)
            {
                var j = random.Next(i + 1);
                (order[i], order[j]) = (order[j], order[i]);
            }
        }
        var priority = Options.EffectivePriorityEndpoints;
        if (priority.Count > 0)
        {
            order = [.. order.Where(e => priority.Contains(e)), .. order.Where(e => !priority.Contains(e))];
        }
        if (current is not null && order.Count > 1 && order.Remove(current))
        {
            order.Add(current);
        }
        return order;
    }

    /// <summary>A readable description of the first passes, for <c>brokerctl uri check</c>.</summary>
    public IEnumerable<string> Describe(int passes = 12)
    {
        var limit = MaxPasses(startup: false);
        var total = TimeSpan.Zero;
        for (var pass = 1; pass <= passes && (limit is null || pass <= limit); pass++)
        {
            var delay = NominalDelay(pass);
            total += delay;
            var jitter = delay.TotalMilliseconds * Options.Jitter;
            yield return pass == 1
                ? "pass 1: at once"
                : $"pass {pass}: after {Format(delay)} (±{Format(TimeSpan.FromMilliseconds(jitter))}), {Format(total)} since the link dropped";
        }
        if (limit is null)
        {
            yield return $"... and forever, every {Format(Options.MaxReconnectDelay)} at most";
        }
        else if (limit > passes)
        {
            yield return $"... {limit} passes in all, then the connection fails";
        }
        else
        {
            yield return "then the connection fails";
        }
    }

    private static string Format(TimeSpan t) =>
        t.TotalMilliseconds < 1000 ? $"{t.TotalMilliseconds:0.#} ms" : $"{t.TotalSeconds:0.###} s";
}
