using BrokerConsole.Hosting;

namespace BrokerConsole.Api;

public static class OperationsExtensions
{
    /// <summary>The operations the HTTP API and the console share, and the audit log they write to.</summary>
    public static IServiceCollection AddBrokerOperations(this IServiceCollection services)
    {
        services.AddSingleton<Audit>();
        services.AddSingleton<RunningOperations>();
        services.AddSingleton(sp =>
        {
            var registry = sp.GetRequiredService<BrokerRegistry>();
            return new QueueOperations(name => registry.Find(name)?.Broker, sp.GetRequiredService<Audit>(), sp.GetRequiredService<RunningOperations>());
        });
        services.AddSingleton(sp =>
        {
            var registry = sp.GetRequiredService<BrokerRegistry>();
            return new ClientOperations(name => registry.Find(name)?.Broker, sp.GetRequiredService<Audit>());
        });
        services.AddSingleton<IOperatorActions, OperatorActions>();
        services.AddSingleton<ISetAsideArchives, SetAsideOperations>();
        return services;
    }
}
