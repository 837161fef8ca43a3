using System.Globalization;

namespace BrokerConsole.Tests.Interop;

/// <summary>
/// The STOMP 1.0 clients of applications that leave ActiveMQ, as Debian packages them: PHP's stomp extension
/// (php-stomp), Perl's Net::Stomp (libnet-stomp-perl) and Ruby's stomp gem (ruby-stomp), each running a scenario
/// script from tests/interop against the real host over TCP: 50 receipted SENDs then a client-individual
/// subscriber (PHP lost every message when frames did not end with NUL and a newline), transactions over SENDs
/// and ACKs with a client subscriber, CONNECTED's heart-beat (0,0 for a client that sent none; Perl and Ruby see
/// it) and a refused login's ERROR, which 1.0 must get unescaped. ./test.sh installs the packages; when they are
/// missing these tests fail, they never skip.
/// </summary>
[Collection("Processes")]
public sealed class DebianClientInteropTests
{
    private const string Php = "/usr/bin/php";
    private const string Perl = "/usr/bin/perl";
    private const string Ruby = "/usr/bin/ruby";
    private static readonly Lazy<Task<string?>> PhpProblem = new(() =>
        InteropScripts.FindProblemAsync(Php, ["-r", "exit(extension_loaded('stomp') ? 0 : 1);"], "Debian's php-cli and php-stomp"));
    private static readonly Lazy<Task<string?>> PerlProblem = new(() =>
        InteropScripts.FindProblemAsync(Perl, ["-MNet::Stomp", "-e", "1"], "Debian's libnet-stomp-perl"));
    private static readonly Lazy<Task<string?>> RubyProblem = new(() =>
        InteropScripts.FindProblemAsync(Ruby, ["-e", "require 'stomp'"], "Debian's ruby-stomp"));

    [Theory]
    [InlineData("roundtrip")]
    [InlineData("transaction")]
    [InlineData("badlogin")]
    public async Task PhpStomp_ScenarioOverTcp_Succeeds(string scenario)
    {
        InteropScripts.RequireNoProblem(await PhpProblem.Value);
        await RunAsync(Php, "php_stomp_check.php", scenario);
    }

    [Theory]
    [InlineData("roundtrip")]
    [InlineData("transaction")]
    [InlineData("badlogin")]
    public async Task NetStomp_ScenarioOverTcp_Succeeds(string scenario)
    {
        InteropScripts.RequireNoProblem(await PerlProblem.Value);
        await RunAsync(Perl, "net_stomp_check.pl", scenario);
    }

    [Theory]
    [InlineData("roundtrip")]
    [InlineData("transaction")]
    [InlineData("badlogin")]
    public async Task RubyStomp_ScenarioOverTcp_Succeeds(string scenario)
    {
        InteropScripts.RequireNoProblem(await RubyProblem.Value);
        await RunAsync(Ruby, "ruby_stomp_check.rb", scenario);
    }

    private static async Task RunAsync(string interpreter, string script, string scenario)
    {
        await using var host = await TestHost.StartAsync();
        var port = host.StompPort().ToString(CultureInfo.InvariantCulture);
        await InteropScripts.RunAsync(interpreter, script, "127.0.0.1", port, scenario);
    }
}
