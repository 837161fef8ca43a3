using BrokerConsole;
using BrokerConsole.Hosting;

try
{
    var app = BrokerConsoleApp.Create(args);
    await app.RunAsync();
    // A broker that could not go on (no slave within WaitForSlaveTimeout) set a non-zero exit code.
    return Environment.ExitCode;
}
catch (Exception e) when (StartupFailure.Describe(e) is { } explanation)
{
    await Console.Error.WriteLineAsync(explanation);
    return StartupFailure.ExitCode;
}
