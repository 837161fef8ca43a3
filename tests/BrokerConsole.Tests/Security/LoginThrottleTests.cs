using Broker.Core.Security;
using BrokerConsole.Api;
using BrokerConsole.Security;
using Microsoft.Extensions.Logging;

namespace BrokerConsole.Tests.Security;

/// <summary>The login brake on the real authenticator, with a clock the test moves: no test waits for a lockout.</summary>
public sealed class LoginThrottleTests : IDisposable
{
    private const string Attacker = "10.0.0.66:40000";
    private const string Admin = "10.0.0.1:50000";
    private readonly ManualClock _clock = new();
    private readonly ListLoggerProvider _log = new();
    private readonly ILoggerFactory _loggers;
    private LoginThrottle _throttle = null!;
    private ConfiguredUsers _users = null!;

    public LoginThrottleTests()
    {
        _loggers = LoggerFactory.Create(b => b.AddProvider(_log));
        Configure(new LoginFailureOptions());
    }

    public void Dispose() => _loggers.Dispose();

    private void Configure(LoginFailureOptions options)
    {
        _throttle = new LoginThrottle(options, _clock, new Audit(_loggers));
        _users = new ConfiguredUsers(new SecurityOptions
        {
            Users = new() { ["admin"] = new UserOptions { Password = "s3cret", Roles = ["admin"] } },
        }, _throttle);
    }

    private LoginResult Guess(string from, string user = "admin", string password = "wrong") => _users.Authenticate(user, password, from);

    private void Fail(int times, string from, string user = "admin")
    {
        for (var i = 0; i < times; i++)
        {
            var result = Guess(from, user);
            Assert.Null(result.User);
            Assert.Null(result.RetryAfter);
        }
    }

    [Fact]
    public void FiveWrong_FromOneAddress_SixthRefusedUncheckedForLockout()
    {
        Fail(5, Attacker);

        var right = Guess(Attacker, password: "s3cret");

        Assert.Null(right.User);
        Assert.Equal(TimeSpan.FromSeconds(30), right.RetryAfter);
        Assert.Equal("too many failed logins, retry later (in 30 s)", right.Refusal);
        Assert.Contains(_log.Lines, l => l == "AUDIT admin login-locked 10.0.0.66 5 failed logins of admin from 10.0.0.66; its logins from there refused for 30 s");
    }

    [Fact]
    public void UserLockedFromOneAddress_RightPasswordFromAnother_LogsIn()
    {
        Fail(5, Attacker);

        Assert.NotNull(Guess(Attacker, password: "s3cret").RetryAfter);
        Assert.Equal("admin", Guess(Admin, password: "s3cret").User?.Name);
    }

    [Fact]
    public void Lockout_Expires_ThenRightPasswordLogsIn()
    {
        Fail(5, Attacker);
        _clock.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(TimeSpan.FromSeconds(1), Guess(Attacker, password: "s3cret").RetryAfter);

        _clock.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal("admin", Guess(Attacker, password: "s3cret").User?.Name);
    }

    [Fact]
    public void FailuresAfterLockout_LockForTwiceAsLong_UpToMaxLockout()
    {
        Fail(5, Attacker);
        var lockouts = new List<TimeSpan>();
        for (var i = 0; i < 8; i++)
        {
            var wait = Guess(Attacker).RetryAfter!.Value;
            lockouts.Add(wait);
            _clock.Advance(wait);
            Fail(1, Attacker);
        }

        Assert.Equal([30, 60, 120, 240, 480, 900, 900, 900], lockouts.Select(l => l.TotalSeconds));
    }

    [Fact]
    public void ManyUserNames_FromOneAddress_LockTheAddressButNotOthers()
    {
        for (var i = 0; i < 20; i++)
        {
            Fail(1, Attacker, user: $"guess{i}");
        }

        Assert.NotNull(Guess(Attacker, password: "s3cret").RetryAfter);
        Assert.Contains(_log.Lines, l => l.StartsWith("AUDIT guess19 login-locked 10.0.0.66 20 failed logins from 10.0.0.66, whatever the user", StringComparison.Ordinal));
        Assert.Equal("admin", Guess(Admin, password: "s3cret").User?.Name);
    }

    [Fact]
    public void RightPassword_ClearsItsCount()
    {
        Fail(4, Admin);
        Assert.NotNull(Guess(Admin, password: "s3cret").User);

        Fail(4, Admin);

        Assert.NotNull(Guess(Admin, password: "s3cret").User);
    }

    [Fact]
    public void FailuresOlderThanForgetAfter_StartOver()
    {
        Fail(4, Attacker);
        _clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));

        Fail(4, Attacker);

        Assert.Null(Guess(Attacker, password: "s3cret").RetryAfter);
    }

    [Fact]
    public void BudgetsOfZero_NeverLock()
    {
        Configure(new LoginFailureOptions { PerUserAndAddress = 0, PerAddress = 0 });

        Fail(100, Attacker);

        Assert.Equal(0, _throttle.Tracked);
        Assert.NotNull(Guess(Attacker, password: "s3cret").User);
    }

    [Fact]
    public void ManyAddresses_TrackedStaysWithinMaxTracked()
    {
        Configure(new LoginFailureOptions { MaxTracked = 100 });

        for (var i = 0; i < 1000; i++)
        {
            Fail(1, $"10.1.{i / 256}.{i % 256}:1234");
        }

        Assert.InRange(_throttle.Tracked, 1, 100);
    }

    [Fact]
    public void AddressesOfOneIpv6Slash64_ShareABudget()
    {
        for (var i = 1; i <= 20; i++)
        {
            Fail(1, $"[2001:db8:1:2::{i:x}]:4000", user: $"guess{i}");
        }

        Assert.NotNull(Guess("[2001:db8:1:2:ffff::1]:4000", password: "s3cret").RetryAfter);
        Assert.NotNull(Guess("[2001:db8:1:3::1]:4000", password: "s3cret").User);
    }

    [Theory]
    [InlineData("127.0.0.1:5000", "127.0.0.1")]
    [InlineData("127.0.0.1", "127.0.0.1")]
    [InlineData("[::ffff:10.0.0.7]:80", "10.0.0.7")]
    [InlineData("[::1]:80", "::1")]
    [InlineData("[2001:db8::1:2:3:4]:80", "2001:db8::/64")]
    [InlineData("?", "?")]
    public void ClientAddress_IsTheIpWithoutPort_Ipv6ByItsSlash64(string remote, string expected) =>
        Assert.Equal(expected, ClientAddress.Of(remote));
}
