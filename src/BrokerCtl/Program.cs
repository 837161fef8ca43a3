return await BrokerCtl.BrokerCtlApp.RunAsync(args, Console.Out, Console.Error);
