using System.Net.Http.Headers;
using System.Text;
using System.Text.Encodings.Web;
using Broker.Core.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace BrokerConsole.Security;

/// <summary>HTTP Basic for scripts and tools: a configured user's name and password on every request.</summary>
public sealed class BasicAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IBrokerAuthenticator users) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Basic";
    public const string Challenge = "Basic realm=\"BrokerConsole\", charset=\"UTF-8\"";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!AuthenticationHeaderValue.TryParse(Request.Headers.Authorization, out var header)
            || !SchemeName.Equals(header.Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }
        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter ?? ""));
        }
        catch (FormatException)
        {
            return Task.FromResult(AuthenticateResult.Fail("malformed Basic credentials"));
        }
        var colon = decoded.IndexOf(':');
        var user = colon < 0 ? null : users.Authenticate(decoded[..colon], decoded[(colon + 1)..]);
        if (user is null)
        {
            return Task.FromResult(AuthenticateResult.Fail("unknown user or wrong password"));
        }
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(BrokerPrincipal.Create(user, SchemeName), SchemeName)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = Challenge;
        return Task.CompletedTask;
    }
}
