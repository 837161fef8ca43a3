using System.Globalization;
using Broker.Core.Messages;

namespace Broker.Core.Scheduling;

/// <summary>
/// When a message is to be delivered, from ActiveMQ's SEND headers: <c>AMQ_SCHEDULED_DELAY</c> (ms before the first
/// delivery), <c>AMQ_SCHEDULED_PERIOD</c> (ms between deliveries), <c>AMQ_SCHEDULED_REPEAT</c> (deliveries after the
/// first) and <c>AMQ_SCHEDULED_CRON</c> (each firing starts that delay/period/repeat cycle again, forever).
/// </summary>
public sealed record ScheduleSpec(long DelayMs, long PeriodMs, int Repeat, string? Cron)
{
    public const string DelayHeader = "AMQ_SCHEDULED_DELAY";
    public const string PeriodHeader = "AMQ_SCHEDULED_PERIOD";
    public const string RepeatHeader = "AMQ_SCHEDULED_REPEAT";
    public const string CronHeader = "AMQ_SCHEDULED_CRON";

    /// <summary>Set on every message the scheduler delivers; a SEND that carries it is delivered at once (ActiveMQ's rule).</summary>
    public const string JobIdHeader = "scheduledJobId";

    /// <summary>
    /// The schedule the headers ask for, or null when the message goes at once (no scheduling header, a zero delay
    /// with nothing to repeat, or a <c>scheduledJobId</c> already set).
    /// </summary>
    /// <exception cref="BrokerException">A header's value is not valid; the message names the header.</exception>
    public static ScheduleSpec? FromHeaders(IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        string? delay = null, period = null, repeat = null, cron = null;
        var jobId = false;
        foreach (var (name, value) in headers)
        {
            switch (name)
            {
                case DelayHeader: delay ??= value; break;
                case PeriodHeader: period ??= value; break;
                case RepeatHeader: repeat ??= value; break;
                case CronHeader: cron ??= value; break;
                case JobIdHeader: jobId = true; break;
            }
        }
        if (jobId || (delay ?? period ?? repeat ?? cron) is null)
        {
            return null;
        }
        var spec = new ScheduleSpec(
            Number(DelayHeader, delay, long.MaxValue / 4),
            Number(PeriodHeader, period, long.MaxValue / 4),
            (int)Number(RepeatHeader, repeat, int.MaxValue),
            string.IsNullOrWhiteSpace(cron) ? null : cron.Trim());
        if (spec.Cron is not null)
        {
            try
            {
                if (CronSchedule.Parse(spec.Cron).NextAfter(0) is null)
                {
                    throw new FormatException("the entry never fires");
                }
            }
            catch (FormatException e)
            {
                throw new BrokerException($"{CronHeader} '{cron}' is not a valid cron entry: {e.Message}");
            }
        }
        // Nothing to wait for and nothing to repeat: an ordinary send (as ActiveMQ does with a zero delay).
        return spec is { DelayMs: 0, Repeat: 0, Cron: null } ? null : spec;
    }

    /// <summary>Where a new job starts: its first due time and the repeats after it.</summary>
    public JobPosition First(long nowMs)
    {
        if (Cron is null)
        {
            return new JobPosition(nowMs + DelayMs, Repeat, 0, 0);
        }
        var cycle = CronSchedule.Parse(Cron).NextAfter(nowMs) ?? throw new BrokerException($"{CronHeader} '{Cron}' never fires");
        return new JobPosition(cycle + DelayMs, Repeat, cycle, 0);
    }

    /// <summary>
    /// Where the job goes after the delivery due at <paramref name="current"/>, made at <paramref name="nowMs"/>: the
    /// next repeat, else (cron) the next firing's cycle, else null (done). A repeat follows a late delivery by a whole
    /// period, as ActiveMQ's scheduler counts it from the firing, so repeats never bunch up after a stall or a restart;
    /// a cron job's next firing is the first after now, so firings missed while the broker was down are not made up
    /// one by one either.
    /// </summary>
    public JobPosition? Next(JobPosition current, long nowMs)
    {
        if (current.RepeatsLeft > 0)
        {
            return current with
            {
                NextDueMs = Math.Max(current.NextDueMs, nowMs) + PeriodMs,
                RepeatsLeft = current.RepeatsLeft - 1,
                Fired = current.Fired + 1,
            };
        }
        if (Cron is null || CronSchedule.Parse(Cron).NextAfter(Math.Max(nowMs, current.CycleStartMs)) is not { } cycle)
        {
            return null;
        }
        return new JobPosition(cycle + DelayMs, Repeat, cycle, current.Fired + 1);
    }

    private static long Number(string header, string? value, long max)
    {
        if (value is null)
        {
            return 0;
        }
        // ActiveMQ's JMS clients send longs; some STOMP clients send "1000.0" or padded values.
        var text = value.Trim();
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed))
        {
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var real) || real != Math.Floor(real) || Math.Abs(real) > 1e15)
            {
                throw new BrokerException($"{header} '{value}' is not a whole number");
            }
            parsed = (long)real;
        }
        if (parsed < 0 || parsed > max)
        {
            throw new BrokerException($"{header} '{value}' must be from 0 to {max}");
        }
        return parsed;
    }
}

/// <summary>
/// A job's place in its schedule: when it is next due (Unix ms), how many repeats follow that delivery in the current
/// cycle, when the current cron cycle started (0 without cron), and how many deliveries it has made.
/// </summary>
public readonly record struct JobPosition(long NextDueMs, int RepeatsLeft, long CycleStartMs, long Fired);

/// <summary>What a job delivers and how: the message as it was sent (its id is the job's id) and its schedule.</summary>
public sealed record JobDefinition(string JobId, Message Message, ScheduleSpec Schedule, long ScheduledAtMs);

/// <summary>A scheduled job as the console and API list it.</summary>
public sealed record ScheduledJobInfo(
    string JobId,
    DestinationName Destination,
    DateTimeOffset NextDue,
    int RepeatsLeft,
    long PeriodMs,
    long DelayMs,
    string? Cron,
    long Fired,
    string MessageId,
    long MessageSize,
    DateTimeOffset ScheduledAt);
