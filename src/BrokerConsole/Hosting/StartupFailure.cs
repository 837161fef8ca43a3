using Microsoft.AspNetCore.Connections;

namespace BrokerConsole.Hosting;

/// <summary>
/// Start-up errors that are the operator's to fix (configuration, a data directory in use, a busy port): they end
/// the process with exit code 2 and one explanation, never a stack trace. Anything else is a bug and keeps its trace.
/// </summary>
public static class StartupFailure
{
    public const int ExitCode = 2;

    /// <summary>The explanation for the operator, or null when <paramref name="exception"/> is not a known start-up error.</summary>
    public static string? Describe(Exception exception) => exception switch
    {
        BrokerConfigurationException or Broker.Server.BrokerStartException or Broker.Stomp.Connectors.ConnectorBindException => exception.Message,
        // Kestrel's own message names the address and port: "Failed to bind to address http://127.0.0.1:8161: address already in use."
        IOException { InnerException: AddressInUseException } => $"{exception.Message} Set Urls (--urls) to a free address, or stop the program holding it.",
        AggregateException { InnerExceptions.Count: 1 } aggregate => Describe(aggregate.InnerExceptions[0]),
        _ => null,
    };
}
