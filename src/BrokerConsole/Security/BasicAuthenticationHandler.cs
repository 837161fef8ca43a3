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
        var login = colon < 0
            ? users.Authenticate(decoded, null, RemoteAddress)
            : users.Authenticate(decoded[..colon], decoded[(colon + 1)..], RemoteAddress);
        if (login.User is not { } user)
        {
            Context.Items[RefusalKey] = login;
            return Task.FromResult(AuthenticateResult.Fail(login.Refusal));
        }
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(BrokerPrincipal.Create(user, SchemeName), SchemeName)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = Challenge;
        // Still 401 when locked out (not 429): clients, the peer check among them, read it as "these credentials do not work here".
        if (Context.Items[RefusalKey] is LoginResult { RetryAfter: { } wait } refused)
        {
            Response.Headers.RetryAfter = Math.Max(1, (long)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            await Results.Problem(detail: refused.Refusal, statusCode: StatusCodes.Status401Unauthorized).ExecuteAsync(Context);
        }
    }

    private static readonly object RefusalKey = new();

    private string RemoteAddress => Context.Connection.RemoteIpAddress?.ToString() ?? "?";
}
