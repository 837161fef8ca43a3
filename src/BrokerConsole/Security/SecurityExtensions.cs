using System.Security.Claims;
using Broker.Core.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace BrokerConsole.Security;

public static class SecurityExtensions
{
    public const string ViewPolicy = "view";
    public const string AdministerPolicy = "administer";
    public const string ReplicatePolicy = "replicate";
    public const string CookieScheme = "Cookie";
    public const string BasicOrCookieScheme = "BasicOrCookie";

    public static WebApplicationBuilder AddBrokerSecurity(this WebApplicationBuilder builder, SecurityOptions options)
    {
        builder.Services.AddSingleton(options);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(sp => new LoginThrottle(options.LoginFailures, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<Api.Audit>()));
        builder.Services.AddSingleton<IBrokerAuthenticator>(sp => new ConfiguredUsers(options, sp.GetRequiredService<LoginThrottle>()));
        builder.Services.AddAuthentication(BasicOrCookieScheme)
            // Scripts send Basic on every request; the console's browser carries the login cookie.
            .AddPolicyScheme(BasicOrCookieScheme, null, o => o.ForwardDefaultSelector = context =>
                context.Request.Headers.Authorization.Count > 0 ? BasicAuthenticationHandler.SchemeName : CookieScheme)
            .AddScheme<AuthenticationSchemeOptions, BasicAuthenticationHandler>(BasicAuthenticationHandler.SchemeName, null)
            .AddCookie(CookieScheme, ConfigureCookie);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(ViewPolicy, p => p.RequireAuthenticatedUser().RequireRole(RolesHolding(Permission.View)))
            .AddPolicy(AdministerPolicy, p => p.RequireAuthenticatedUser().RequireRole(RolesHolding(Permission.Administer)))
            .AddPolicy(ReplicatePolicy, p => p.RequireAuthenticatedUser().RequireRole(RolesHolding(Permission.Replicate)));
        return builder;
    }

    /// <summary>Refuses what a page of another origin sends with the user's credentials (<see cref="CrossSiteRequestGuard"/>); after authentication.</summary>
    public static IApplicationBuilder UseCrossSiteRequestGuard(this IApplicationBuilder app) => app.UseMiddleware<CrossSiteRequestGuard>();

    /// <summary>Whether the user holds a role granted <see cref="Permission.Administer"/>; for checks inside handlers.</summary>
    public static bool MayAdminister(ClaimsPrincipal user) => RolesHolding(Permission.Administer).Any(user.IsInRole);

    private static void ConfigureCookie(CookieAuthenticationOptions options)
    {
        options.LoginPath = "/login";
        options.AccessDeniedPath = "/login";
        options.Cookie.Name = "BrokerConsole";
        options.Cookie.HttpOnly = true;
        options.Cookie.SameSite = SameSiteMode.Strict;
        options.SlidingExpiration = true;
        options.ExpireTimeSpan = TimeSpan.FromHours(8);
        // Scripts, hub clients and scrapers must see 401/403 (docs/API.md), never a redirect to an HTML form.
        options.Events.OnRedirectToLogin = context => RedirectOrStatus(context, StatusCodes.Status401Unauthorized);
        options.Events.OnRedirectToAccessDenied = context => RedirectOrStatus(context, StatusCodes.Status403Forbidden);
    }

    private static Task RedirectOrStatus(RedirectContext<CookieAuthenticationOptions> context, int status)
    {
        var path = context.Request.Path;
        if (path.StartsWithSegments("/api") || path.StartsWithSegments("/hubs") || path.StartsWithSegments("/metrics"))
        {
            context.Response.StatusCode = status;
            if (status == StatusCodes.Status401Unauthorized)
            {
                context.Response.Headers.WWWAuthenticate = BasicAuthenticationHandler.Challenge;
            }
            return Task.CompletedTask;
        }
        context.Response.Redirect(context.RedirectUri);
        return Task.CompletedTask;
    }

    private static string[] RolesHolding(Permission permission) =>
        [.. Roles.DefaultGrants.Where(g => g.Permission == permission).Select(g => g.Role).Distinct()];
}
