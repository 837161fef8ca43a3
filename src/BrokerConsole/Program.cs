using BrokerConsole;

try
{
    var app = BrokerConsoleApp.Create(args);
    await app.RunAsync();
    return 0;
}
catch (Exception e) when (e is BrokerConsole.Hosting.BrokerConfigurationException
    or Broker.Storage.StoreLockedException or Broker.Storage.JournalCorruptException)
{
    await Console.Error.WriteLineAsync(e.Message);
    return 2;
}
