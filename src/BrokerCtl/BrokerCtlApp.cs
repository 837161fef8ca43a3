using System.CommandLine;

namespace BrokerCtl;

/// <summary>
/// The command tree. Exit codes: 0 done, 1 failed (or System.CommandLine's usage error), 2 an invalid URI,
/// 3 a feature this broker does not have.
/// </summary>
public static class BrokerCtlApp
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int InvalidUri = 2;
    public const int NotAvailable = 3;

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        var common = new CommonOptions();
        var root = new RootCommand("brokerctl: send, receive and inspect BrokerConsole brokers over STOMP and the HTTP API");
        root.Options.Add(common.User);
        root.Options.Add(common.Password);
        root.Options.Add(common.Json);

        root.Subcommands.Add(MessagingCommands.Send(common, output, error));
        root.Subcommands.Add(MessagingCommands.Receive(common, output, error));
        root.Subcommands.Add(HttpCommands.Status(common, output, error));
        root.Subcommands.Add(HttpCommands.Browse(common, output, error));
        root.Subcommands.Add(HttpCommands.Purge(common, output, error));
        root.Subcommands.Add(HttpCommands.OperatorAction("promote", "promote a slave to master (a live master is fenced and rejoins it)", common, output, error));
        root.Subcommands.Add(HttpCommands.OperatorAction("switchover", "planned switchover of an in-sync pair: roles swap, clients are told to reconnect", common, output, error));
        root.Subcommands.Add(UriCommands.Uri(common, output, error));

        var parsed = root.Parse(args);
        return await parsed.InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, cancellationToken);
    }
}

/// <summary>Options every subcommand accepts.</summary>
internal sealed class CommonOptions
{
    public Option<string?> User { get; } = new("--user") { Description = "user name (STOMP login and HTTP Basic)", Recursive = true };

    public Option<string?> Password { get; } = new("--password") { Description = "password", Recursive = true };

    public Option<bool> Json { get; } = new("--json") { Description = "print JSON instead of text", Recursive = true };
}
