using System.Globalization;

namespace Broker.Core.Scheduling;

/// <summary>
/// A five-field cron entry as ActiveMQ's <c>AMQ_SCHEDULED_CRON</c> takes it: minute (0-59), hour (0-23), day of month
/// (1-31), month (1-12 or JAN-DEC), day of week (0-7 or SUN-SAT, 0 and 7 both Sunday). Each field is <c>*</c>, a
/// number, a range <c>a-b</c>, a step <c>*/n</c> or <c>a-b/n</c> or <c>a/n</c>, or a comma-separated list of those.
/// When both day fields are restricted a day matching either fires (as in Vixie cron). Times are UTC.
/// </summary>
public sealed class CronSchedule
{
    private static readonly string[] MonthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
    private static readonly string[] DayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

    // Bit i set: value i matches.
    private readonly ulong _minutes;
    private readonly ulong _hours;
    private readonly ulong _daysOfMonth;
    private readonly ulong _months;
    private readonly ulong _daysOfWeek;
    private readonly bool _domRestricted;
    private readonly bool _dowRestricted;

    private CronSchedule(string text, ulong minutes, ulong hours, ulong daysOfMonth, ulong months, ulong daysOfWeek, bool domRestricted, bool dowRestricted)
    {
        Text = text;
        _minutes = minutes;
        _hours = hours;
        _daysOfMonth = daysOfMonth;
        _months = months;
        _daysOfWeek = daysOfWeek;
        _domRestricted = domRestricted;
        _dowRestricted = dowRestricted;
    }

    public string Text { get; }

    /// <exception cref="FormatException">The entry is not five valid fields; the message says which field and why.</exception>
    public static CronSchedule Parse(string text)
    {
        var fields = text.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != 5)
        {
            throw new FormatException($"'{text}' has {fields.Length} fields; a cron entry has 5 (minute hour day-of-month month day-of-week)");
        }
        var minutes = Field(fields[0], "minute", 0, 59, null);
        var hours = Field(fields[1], "hour", 0, 23, null);
        var daysOfMonth = Field(fields[2], "day of month", 1, 31, null);
        var months = Field(fields[3], "month", 1, 12, MonthNames);
        var daysOfWeek = Field(fields[4], "day of week", 0, 7, DayNames);
        // 7 is Sunday too.
        if ((daysOfWeek & (1UL << 7)) != 0)
        {
            daysOfWeek = (daysOfWeek | 1UL) & ~(1UL << 7);
        }
        return new CronSchedule(string.Join(' ', fields), minutes, hours, daysOfMonth, months, daysOfWeek,
            !IsStar(fields[2]), !IsStar(fields[4]));
    }

    /// <summary>The first firing strictly after <paramref name="afterMs"/> (Unix ms), or null when the entry never fires (30 February).</summary>
    public long? NextAfter(long afterMs)
    {
        var t = DateTimeOffset.FromUnixTimeMilliseconds(afterMs).UtcDateTime;
        t = new DateTime(t.Year, t.Month, t.Day, t.Hour, t.Minute, 0, DateTimeKind.Utc).AddMinutes(1);
        // Every step moves at least a minute forward and skips a whole month, day or hour when it can: a few
        // thousand steps cover the four years after which every calendar repeats.
        var limit = t.AddYears(5);
        while (t < limit)
        {
            if (!Has(_months, t.Month))
            {
                t = new DateTime(t.Year, t.Month, 1, 0, 0, 0, DateTimeKind.Utc).AddMonths(1);
            }
            else if (!DayMatches(t))
            {
                t = t.Date.AddDays(1);
            }
            else if (!Has(_hours, t.Hour))
            {
                t = new DateTime(t.Year, t.Month, t.Day, t.Hour, 0, 0, DateTimeKind.Utc).AddHours(1);
            }
            else if (!Has(_minutes, t.Minute))
            {
                t = t.AddMinutes(1);
            }
            else
            {
                return new DateTimeOffset(t).ToUnixTimeMilliseconds();
            }
        }
        return null;
    }

    public override string ToString() => Text;

    private bool DayMatches(DateTime t)
    {
        var dom = Has(_daysOfMonth, t.Day);
        var dow = Has(_daysOfWeek, (int)t.DayOfWeek);
        return (_domRestricted, _dowRestricted) switch
        {
            (true, true) => dom || dow,
            (true, false) => dom,
            (false, true) => dow,
            _ => true,
        };
    }

    private static bool Has(ulong set, int value) => (set & (1UL << value)) != 0;

    private static bool IsStar(string field) => field == "*" || field == "?";

    private static ulong Field(string field, string what, int min, int max, string[]? names)
    {
        ulong set = 0;
        foreach (var part in field.Split(','))
        {
            if (part.Length == 0)
            {
                throw new FormatException($"the {what} field '{field}' has an empty list element");
            }
            var slash = part.IndexOf('/');
            var range = slash < 0 ? part : part[..slash];
            var step = 1;
            if (slash >= 0 && (!int.TryParse(part[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out step) || step < 1))
            {
                throw new FormatException($"the {what} field '{field}' has a step that is not a number of 1 or more");
            }
            int from, to;
            if (range is "*" or "?")
            {
                (from, to) = (min, max == 7 ? 6 : max);
            }
            else if (range.IndexOf('-') is var dash and > 0)
            {
                from = Value(range[..dash], what, min, max, names);
                to = Value(range[(dash + 1)..], what, min, max, names);
                if (to < from)
                {
                    throw new FormatException($"the {what} field '{field}' has a range that runs backwards ({range})");
                }
            }
            else
            {
                from = Value(range, what, min, max, names);
                // "a/n": from a to the end, every n.
                to = slash >= 0 ? max : from;
            }
            for (var v = from; v <= to; v += step)
            {
                set |= 1UL << v;
            }
        }
        return set;
    }

    private static int Value(string text, string what, int min, int max, string[]? names)
    {
        if (names is not null)
        {
            var index = Array.FindIndex(names, n => n.Equals(text, StringComparison.OrdinalIgnoreCase));
            if (index >= 0)
            {
                return index + (min == 1 ? 1 : 0);
            }
        }
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw new FormatException($"the {what} '{text}' is not a number from {min} to {max}");
        }
        return value;
    }
}
