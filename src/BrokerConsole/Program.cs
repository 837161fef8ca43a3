using BrokerConsole;

try
{
    var app = BrokerConsoleApp.Create(args);
    await app.RunAsync();
    return 0;
}
catch (BrokerConsole.Hosting.BrokerConfigurationException e)
{
    await Console.Error.WriteLineAsync(e.Message);
    return 2;
}
