using System.CommandLine;
using Broker.Client;

namespace BrokerCtl;

/// <summary><c>brokerctl uri check URI</c>: offline, never resolves a host.</summary>
internal static class UriCommands
{
    public static Command Uri(CommonOptions common, TextWriter output, TextWriter error)
    {
        var uriArgument = new Argument<string>("uri") { Description = "a tcp:// or failover:(...) URI" };
        var check = new Command("check", "parse a connection URI offline and print the reconnect schedule it implies") { uriArgument };
        check.SetAction(parse => Check(parse.GetValue(uriArgument)!, parse.GetValue(common.Json), output, error));
        return new Command("uri", "connection URI tools") { check };
    }

    internal static int Check(string text, bool json, TextWriter output, TextWriter error)
    {
        if (!FailoverUri.TryParse(text, out var options, out var failure))
        {
            Output.Write(output, json, new { valid = false, error = failure!.Message, option = failure.Option }, []);
            if (!json)
            {
                error.WriteLine($"invalid URI: {failure!.Message}");
            }
            return BrokerCtlApp.InvalidUri;
        }
        var schedule = new ReconnectSchedule(options!);
        var warnings = Warnings(options!).ToList();
        var lines = new List<string>
        {
            $"valid {(options!.IsFailover ? "failover" : "single-broker")} URI with {options.Endpoints.Count} broker(s):",
        };
        lines.AddRange(options.Endpoints.Select(e => $"  {e}{(options.EffectivePriorityEndpoints.Contains(e) ? " (priority)" : "")}"));
        if (options.IsFailover)
        {
            lines.Add($"initialReconnectDelay={options.InitialReconnectDelay.TotalMilliseconds} maxReconnectDelay={options.MaxReconnectDelay.TotalMilliseconds} " +
                $"useExponentialBackOff={Bool(options.UseExponentialBackOff)} reconnectDelayExponent={options.ReconnectDelayExponent} " +
                $"maxReconnectAttempts={options.MaxReconnectAttempts} startupMaxReconnectAttempts={options.StartupMaxReconnectAttempts} " +
                $"randomize={Bool(options.Randomize)} timeout={(options.Timeout == Timeout.InfiniteTimeSpan ? -1 : options.Timeout.TotalMilliseconds)} " +
                $"priorityBackup={Bool(options.PriorityBackup)} warnAfterReconnectAttempts={options.WarnAfterReconnectAttempts}");
            lines.Add($"reconnect schedule (each pass tries every broker{(options.Randomize ? " in random order" : " in the written order")}, the one that failed tried last; ±{options.Jitter:P0} jitter):");
            lines.AddRange(schedule.Describe().Select(l => "  " + l));
        }
        lines.AddRange(warnings.Select(w => $"warning: {w}"));
        Output.Write(output, json, new
        {
            valid = true,
            failover = options.IsFailover,
            endpoints = options.Endpoints.Select(e => e.ToString()),
            options = new
            {
                initialReconnectDelay = options.InitialReconnectDelay.TotalMilliseconds,
                maxReconnectDelay = options.MaxReconnectDelay.TotalMilliseconds,
                useExponentialBackOff = options.UseExponentialBackOff,
                reconnectDelayExponent = options.ReconnectDelayExponent,
                maxReconnectAttempts = options.MaxReconnectAttempts,
                startupMaxReconnectAttempts = options.StartupMaxReconnectAttempts,
                randomize = options.Randomize,
                timeout = options.Timeout == Timeout.InfiniteTimeSpan ? -1 : options.Timeout.TotalMilliseconds,
                priorityBackup = options.PriorityBackup,
                priorityURIs = options.EffectivePriorityEndpoints.Select(e => e.ToString()),
                warnAfterReconnectAttempts = options.WarnAfterReconnectAttempts,
            },
            schedule = options.IsFailover ? schedule.Describe().ToList() : [],
            warnings,
        }, lines);
        return BrokerCtlApp.Ok;
    }

    private static string Bool(bool value) => value ? "true" : "false";

    /// <summary>Settings that are legal but bite in production.</summary>
    internal static IEnumerable<string> Warnings(FailoverOptions options)
    {
        if (!options.IsFailover)
        {
            yield return "not a failover URI: a lost link closes the connection; use failover:(...) to reconnect";
            yield break;
        }
        if (options.Timeout == Timeout.InfiniteTimeSpan)
        {
            yield return "timeout=-1: a send blocks forever while no broker is reachable; set timeout=<ms> to fail it";
        }
        if (options.MaxReconnectAttempts == -1 && options.StartupMaxReconnectAttempts == -1)
        {
            yield return "maxReconnectAttempts=-1 with startupMaxReconnectAttempts=-1: retries forever, at start-up too, so a wrong URI or a dead cluster is never reported; set startupMaxReconnectAttempts";
        }
        if (options.Randomize && options.Endpoints.Count == 2 && !options.PriorityBackup)
        {
            yield return "randomize=true with two brokers (a master/slave pair?): half the clients try the slave first at every reconnect; use randomize=false with the master first";
        }
        if (options.Endpoints.Count == 1)
        {
            yield return "only one broker listed: failover can only wait for it to come back";
        }
        if (options.InitialReconnectDelay == TimeSpan.Zero)
        {
            yield return "initialReconnectDelay=0: reconnects without any pause (exponential back-off of 0 stays 0)";
        }
        if (options.MaxReconnectDelay > TimeSpan.FromSeconds(60))
        {
            yield return $"maxReconnectDelay={options.MaxReconnectDelay.TotalMilliseconds}: clients may stay away over a minute after a broker returns";
        }
        if (options.Endpoints.Select(e => e.ToString()).Distinct(StringComparer.OrdinalIgnoreCase).Count() < options.Endpoints.Count)
        {
            yield return "a broker is listed twice";
        }
    }
}
