using BrokerConsole.Hosting;

namespace BrokerConsole.Remote;

public static class RemoteExtensions
{
    /// <summary>The watchers of <c>Console:Hosts</c> (started with the web host), the forwarding of operator actions, and the <see cref="Fleet"/> view.</summary>
    public static WebApplicationBuilder AddRemoteHosts(this WebApplicationBuilder builder, HostSettings settings)
    {
        builder.Services.AddSingleton(settings.Console ?? new ConsoleOptions());
        builder.Services.AddSingleton<RemoteHosts>();
        builder.Services.AddSingleton<IRemoteHosts>(sp => sp.GetRequiredService<RemoteHosts>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RemoteHosts>());
        builder.Services.AddSingleton<IRemoteActions, RemoteActions>();
        builder.Services.AddSingleton<Fleet>();
        builder.Services.AddSingleton<IFleetSource>(sp => sp.GetRequiredService<Fleet>());
        return builder;
    }

    /// <summary><c>?host=</c> on <c>/api/brokers/{b}/...</c> (<see cref="RemoteForwarding"/>); after authentication, authorization and the cross-site guards.</summary>
    public static IApplicationBuilder UseRemoteForwarding(this IApplicationBuilder app) => app.UseMiddleware<RemoteForwarding>();
}
