using Broker.Core.Security;
using BrokerConsole.Api;

namespace BrokerConsole.Security;

/// <summary>
/// Brakes password guessing (<see cref="LoginFailureOptions"/>): failures are counted per (user name, address) and
/// per address; a key whose budget ran out is locked (every attempt refused without a look at its password) for
/// <c>Lockout</c>, doubled with each further failure after it expired, up to <c>MaxLockout</c>. A right password
/// clears its (user, address) count. Nothing is counted per user name alone, so a user attacked from one address
/// still logs in from another. Each lock writes an audit line.
/// </summary>
public sealed class LoginThrottle(LoginFailureOptions options, TimeProvider clock, Audit audit)
{
    // One lock for check, password comparison and count: parallel guesses cannot all slip through as a lock expires.
    private readonly Lock _lock = new();
    private readonly Dictionary<Key, Entry> _entries = [];

    /// <summary>Keys remembered now (for tests and the bound).</summary>
    public int Tracked
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Runs <paramref name="check"/> for <paramref name="user"/> from <paramref name="remoteAddress"/> unless a budget of theirs ran out.</summary>
    public LoginResult Attempt(string user, string remoteAddress, Func<BrokerUser?> check)
    {
        var address = ClientAddress.Of(remoteAddress);
        var pair = new Key(user, address);
        var alone = new Key(null, address);
        lock (_lock)
        {
            var now = clock.GetUtcNow();
            var lockedUntil = Later(LockedUntil(pair), LockedUntil(alone));
            if (lockedUntil > now)
            {
                return LoginResult.TooManyFailures(lockedUntil - now);
            }
            if (check() is { } found)
            {
                _entries.Remove(pair);
                return LoginResult.Success(found);
            }
            Fail(pair, options.PerUserAndAddress, now, user, (failures, lockout) =>
                $"{failures} failed logins of {user} from {address}; its logins from there refused for {lockout}");
            Fail(alone, options.PerAddress, now, user, (failures, lockout) =>
                $"{failures} failed logins from {address}, whatever the user; every login from there refused for {lockout}");
            if (_entries.Count > options.MaxTracked)
            {
                Prune(now);
            }
            return LoginResult.Failed;
        }
    }

    private static DateTimeOffset Later(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private DateTimeOffset LockedUntil(Key key) => _entries.TryGetValue(key, out var entry) ? entry.LockedUntil : default;

    private void Fail(Key key, int budget, DateTimeOffset now, string user, Func<int, string, string> describe)
    {
        if (budget == 0)
        {
            return;
        }
        if (!_entries.TryGetValue(key, out var entry) || now - entry.LastFailure > options.ForgetAfter)
        {
            _entries[key] = entry = new Entry();
        }
        entry.Failures++;
        entry.LastFailure = now;
        if (entry.Failures < budget)
        {
            return;
        }
        var lockout = LockoutAfter(entry.Failures - budget);
        entry.LockedUntil = now + lockout;
        audit.Write(user, "login-locked", key.Address, describe(entry.Failures, $"{lockout.TotalSeconds:0} s"));
    }

    /// <summary>Lockout, doubled for each failure past the budget, at most MaxLockout.</summary>
    private TimeSpan LockoutAfter(int beyond) =>
        TimeSpan.FromTicks((long)Math.Min(options.MaxLockout.Ticks, options.Lockout.Ticks * Math.Pow(2, Math.Min(beyond, 62))));

    /// <summary>Forgets what no longer matters, then, if still too many, the oldest keys (locked or not).</summary>
    private void Prune(DateTimeOffset now)
    {
        foreach (var (key, entry) in _entries)
        {
            if (entry.LockedUntil <= now && now - entry.LastFailure > options.ForgetAfter)
            {
                _entries.Remove(key);
            }
        }
        // Down to 90 % so a full table is not sorted again on every failure.
        var excess = _entries.Count - options.MaxTracked * 9 / 10;
        if (excess > 0)
        {
            foreach (var (key, _) in _entries.OrderBy(e => e.Value.LastFailure).Take(excess).ToList())
            {
                _entries.Remove(key);
            }
        }
    }

    /// <summary>A (user, address) pair, or an address alone when <see cref="User"/> is null.</summary>
    private readonly record struct Key(string? User, string Address);

    private sealed class Entry
    {
        public int Failures;
        public DateTimeOffset LastFailure;
        public DateTimeOffset LockedUntil;
    }
}
