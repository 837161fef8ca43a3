using Broker.Core.Security;
using BrokerConsole.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Components;

namespace BrokerConsole.Components.Pages;

/// <summary>
/// The console's login: a configured user who may view gets the console's cookie. Rendered statically (not
/// over the circuit) because setting a cookie needs the HTTP response.
/// </summary>
public sealed partial class Login : ComponentBase
{
    private string? _error;

    [CascadingParameter]
    private HttpContext HttpContext { get; set; } = null!;

    [SupplyParameterFromForm]
    private LoginInput? Input { get; set; }

    [SupplyParameterFromQuery]
    private string? ReturnUrl { get; set; }

    [Inject]
    private IBrokerAuthenticator Users { get; set; } = null!;

    [Inject]
    private NavigationManager Navigation { get; set; } = null!;

    protected override void OnInitialized() => Input ??= new();

    private async Task LogInAsync()
    {
        Input ??= new();
        var login = Users.Authenticate(Input.UserName, Input.Password, HttpContext.Connection.RemoteIpAddress?.ToString() ?? "?");
        if (login.RetryAfter is not null)
        {
            _error = $"Refused: {login.Refusal}.";
            return;
        }
        if (login.User is not { } user || !BrokerPrincipal.MayView(user))
        {
            _error = "Unknown user, wrong password, or a user who may not view the console.";
            return;
        }
        await HttpContext.SignInAsync(SecurityExtensions.CookieScheme, BrokerPrincipal.Create(user, SecurityExtensions.CookieScheme));
        Navigation.NavigateTo(LocalPath(ReturnUrl));
    }

    /// <summary>Only a path of this site: a return URL pointing elsewhere would make the login an open redirect.</summary>
    internal static string LocalPath(string? returnUrl) =>
        returnUrl is ['/', not '/' and not '\\', ..] or "/" ? returnUrl : "/";

    internal sealed class LoginInput
    {
        public string? UserName { get; set; }

        public string? Password { get; set; }
    }
}
