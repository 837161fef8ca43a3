using System.CommandLine;
using Broker.Client;

namespace BrokerCtl;

/// <summary><c>send</c> and <c>receive</c>, over the client library (so over failover URIs too).</summary>
internal static class MessagingCommands
{
    public static Command Send(CommonOptions common, TextWriter output, TextWriter error)
    {
        var url = UrlOption();
        var destination = DestinationOption();
        var count = new Option<int>("--count") { Description = "how many numbered messages", DefaultValueFactory = _ => 1 };
        var persistent = new Option<bool>("--persistent") { Description = "mark them persistent (every send awaits its receipt either way)" };
        var body = new Option<string?>("--body") { Description = "body text; each message gets ' <n>' appended" };
        var command = new Command("send", "send N numbered messages, each awaited to its receipt") { url, destination, count, persistent, body };
        command.SetAction(async (parse, ct) =>
        {
            var n = parse.GetValue(count);
            var text = parse.GetValue(body) ?? "message";
            var options = SendOptions.Default with { Persistent = parse.GetValue(persistent), AwaitReceipt = true };
            var completed = 0;
            string? failure = null;
            try
            {
                await using var connection = await StompConnection.ConnectAsync(parse.GetValue(url)!, ClientOptions(common, parse), ct);
                for (var i = 1; i <= n; i++)
                {
                    await connection.SendAsync(parse.GetValue(destination)!, $"{text} {i}", options, ct);
                    completed++;
                }
                await connection.DisconnectAsync(ct);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                failure = e is StompUriException ? $"invalid URI: {e.Message}" : e.Message;
            }
            Output.Write(output, parse.GetValue(common.Json), new { sent = completed, requested = n, error = failure },
                [$"sent {completed} of {n} message(s) to {parse.GetValue(destination)}"]);
            if (failure is not null && !parse.GetValue(common.Json))
            {
                error.WriteLine($"error: {failure}");
            }
            return failure is null ? BrokerCtlApp.Ok : failure.StartsWith("invalid URI", StringComparison.Ordinal) ? BrokerCtlApp.InvalidUri : BrokerCtlApp.Failed;
        });
        return command;
    }

    public static Command Receive(CommonOptions common, TextWriter output, TextWriter error)
    {
        var url = UrlOption();
        var destination = DestinationOption();
        var count = new Option<int?>("--count") { Description = "stop after this many messages" };
        var idle = new Option<double>("--idle-timeout") { Description = "stop after this many seconds without a message", DefaultValueFactory = _ => 5 };
        var command = new Command("receive", "consume and acknowledge messages; prints how many arrived and how many were distinct") { url, destination, count, idle };
        command.SetAction(async (parse, ct) =>
        {
            var limit = parse.GetValue(count);
            var idleTimeout = TimeSpan.FromSeconds(parse.GetValue(idle));
            var received = 0;
            var distinct = new HashSet<string>(StringComparer.Ordinal);
            string? failure = null;
            try
            {
                await using var connection = await StompConnection.ConnectAsync(parse.GetValue(url)!, ClientOptions(common, parse), ct);
                await using var subscription = await connection.SubscribeAsync(parse.GetValue(destination)!,
                    SubscribeOptions.Default with { AckMode = StompAckMode.ClientIndividual }, ct);
                // CancelAfter re-arms the timer: the idle clock restarts with every message.
                using var idleClock = CancellationTokenSource.CreateLinkedTokenSource(ct);
                idleClock.CancelAfter(idleTimeout);
                try
                {
                    await foreach (var message in subscription.WithCancellation(idleClock.Token))
                    {
                        received++;
                        distinct.Add(message.BodyText);
                        await message.AckAsync(ct);
                        if (received == limit)
                        {
                            break;
                        }
                        idleClock.CancelAfter(idleTimeout);
                    }
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    // Idle for --idle-timeout: done.
                }
                await connection.DisconnectAsync(ct);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                failure = e is StompUriException ? $"invalid URI: {e.Message}" : e.Message;
            }
            Output.Write(output, parse.GetValue(common.Json), new { received, distinct = distinct.Count, error = failure },
                [$"received {received} message(s), {distinct.Count} distinct"]);
            if (failure is not null && !parse.GetValue(common.Json))
            {
                error.WriteLine($"error: {failure}");
            }
            return failure is null ? BrokerCtlApp.Ok : failure.StartsWith("invalid URI", StringComparison.Ordinal) ? BrokerCtlApp.InvalidUri : BrokerCtlApp.Failed;
        });
        return command;
    }

    private static Option<string> UrlOption() =>
        new("--url") { Description = "STOMP URI: tcp://host:port or failover:(...)?options", DefaultValueFactory = _ => "tcp://127.0.0.1:61613" };

    private static Option<string> DestinationOption() =>
        new("--destination") { Description = "/queue/NAME or /topic/NAME", Required = true };

    private static StompClientOptions ClientOptions(CommonOptions common, ParseResult parse) => StompClientOptions.Default with
    {
        Login = parse.GetValue(common.User) ?? "admin",
        Passcode = parse.GetValue(common.Password) ?? parse.GetValue(common.User) ?? "admin",
    };
}
