using BrokerConsole;

try
{
    var app = BrokerConsoleApp.Create(args);
    await app.RunAsync();
    // A broker that could not go on (no slave within WaitForSlaveTimeout) set a non-zero exit code.
    return Environment.ExitCode;
}
catch (Exception e) when (e is BrokerConsole.Hosting.BrokerConfigurationException
    or Broker.Storage.StoreLockedException or Broker.Storage.JournalCorruptException
    or Broker.Stomp.Connectors.ConnectorBindException)
{
    await Console.Error.WriteLineAsync(e.Message);
    return 2;
}
