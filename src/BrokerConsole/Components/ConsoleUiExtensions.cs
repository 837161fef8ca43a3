using BrokerConsole.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.FluentUI.AspNetCore.Components;

namespace BrokerConsole.Components;

public static class ConsoleUiExtensions
{
    /// <summary>The Blazor Server console (Fluent UI) and its static assets.</summary>
    public static WebApplicationBuilder AddBrokerConsoleUi(this WebApplicationBuilder builder)
    {
        // Run from the build output (not only published, not only in Development), the framework's and Fluent UI's
        // assets are found through the static web assets manifest beside the assembly; published, it is absent
        // and they are in wwwroot.
        builder.WebHost.UseStaticWebAssets();
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddCascadingAuthenticationState();
        builder.Services.AddFluentUIComponents();
        return builder;
    }

    public static void MapBrokerConsoleUi(this WebApplication app)
    {
        app.MapStaticAssets();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        app.MapPost("/logout", async (HttpContext context) =>
        {
            await context.SignOutAsync(SecurityExtensions.CookieScheme);
            return Results.Redirect("/login");
        });
    }
}
