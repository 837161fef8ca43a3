using Broker.Core.Security;
using Microsoft.AspNetCore.Authentication;

namespace BrokerConsole.Security;

public static class SecurityExtensions
{
    public const string ViewPolicy = "view";
    public const string AdministerPolicy = "administer";
    public const string ReplicatePolicy = "replicate";

    public static WebApplicationBuilder AddBrokerSecurity(this WebApplicationBuilder builder)
    {
        var options = ConfiguredUsers.Load(builder.Configuration);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<IBrokerAuthenticator>(new ConfiguredUsers(options));
        builder.Services.AddAuthentication(BasicAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, BasicAuthenticationHandler>(BasicAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(ViewPolicy, p => p.RequireAuthenticatedUser().RequireRole(RolesHolding(Permission.View)))
            .AddPolicy(AdministerPolicy, p => p.RequireAuthenticatedUser().RequireRole(RolesHolding(Permission.Administer)))
            .AddPolicy(ReplicatePolicy, p => p.RequireAuthenticatedUser().RequireRole(RolesHolding(Permission.Replicate)));
        return builder;
    }

    private static string[] RolesHolding(Permission permission) =>
        [.. Roles.DefaultGrants.Where(g => g.Permission == permission).Select(g => g.Role).Distinct()];
}
