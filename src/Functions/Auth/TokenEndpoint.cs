using System.Net.Http.Headers;
using System.Text;
using Enclave.Domain.Tenancy;

namespace Enclave.Functions.Auth;

/// <summary>
/// <c>POST /api/oauth2/token</c> (RFC 6749): form-encoded, errors as <c>{error, error_description}</c>.
/// Grants: <c>client_credentials</c> with <c>client_secret_basic</c> or <c>client_secret_post</c>;
/// <c>authorization_code</c> with PKCE after a user login; <c>refresh_token</c> with rotation.
/// </summary>
public static class TokenEndpoint
{
    /// <summary>The token route.</summary>
    public const string Route = "/api/oauth2/token";

    /// <summary>Maps the token endpoint (anonymous: the client authenticates with its secret).</summary>
    public static void MapTokenEndpoint(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapPost(Route, async (HttpContext http, ITenancyStore store, IIdentityStore identity, CallerResolver callers, TokenIssuer issuer, TimeProvider time) =>
        {
            http.Response.Headers.CacheControl = "no-store";
            if (!http.Request.HasFormContentType)
            {
                return Error("invalid_request", "The token request must be application/x-www-form-urlencoded.");
            }

            var form = await http.Request.ReadFormAsync(http.RequestAborted);
            var grant = form["grant_type"].ToString();
            if (grant is "authorization_code" or "refresh_token")
            {
                var services = new UserGrants.Services(identity, callers, issuer, time);
                var outcome = grant == "authorization_code"
                    ? await UserGrants.AuthorizationCodeAsync(form, services, http.RequestAborted)
                    : await UserGrants.RefreshTokenAsync(form, services, http.RequestAborted);
                return outcome.Error is not null
                    ? Error(outcome.Error, outcome.Description!)
                    : Results.Json(new
                    {
                        access_token = outcome.AccessToken,
                        token_type = "Bearer",
                        expires_in = outcome.ExpiresIn,
                        refresh_token = outcome.RefreshToken,
                        project = Reference.To(nameof(Project), outcome.ProjectId!),
                    });
            }

            if (grant != "client_credentials")
            {
                return Error(grant.Length == 0 ? "invalid_request" : "unsupported_grant_type",
                    grant.Length == 0 ? "grant_type is missing." : $"grant_type {grant} is not supported.");
            }

            var (clientId, secret, usedBasic, problem) = ClientAuthentication(http.Request, form);
            if (problem is not null)
            {
                return Error("invalid_request", problem);
            }

            var client = clientId is null ? null : await store.FindClientAsync(clientId, http.RequestAborted);
            if (client is null || secret is null || !client.Accepts(secret, time.GetUtcNow()))
            {
                if (usedBasic)
                {
                    http.Response.Headers.WWWAuthenticate = "Basic realm=\"enclave\"";
                }

                return Error("invalid_client", "Client authentication failed.", StatusCodes.Status401Unauthorized);
            }

            var caller = await callers.ResolveAsync(client.ProjectId, client.MembershipId, http.RequestAborted);
            if (caller is null)
            {
                return Error("invalid_client", "The client has no membership of its project.", StatusCodes.Status401Unauthorized);
            }

            var (token, lifetime) = issuer.Issue(client.ProjectId, caller.Membership, client.Client.Id);
            return Results.Json(new
            {
                access_token = token,
                token_type = "Bearer",
                expires_in = (int)lifetime.TotalSeconds,
                project = Reference.To(nameof(Project), client.ProjectId),
            });
        }).AllowAnonymous().DisableAntiforgery();

    /// <summary>The client's id and secret from HTTP Basic (RFC 6749 §2.3.1, form-encoded parts) or the form, not both.</summary>
    private static (string? Id, string? Secret, bool UsedBasic, string? Problem) ClientAuthentication(HttpRequest request, IFormCollection form)
    {
        var formId = form["client_id"].ToString();
        var formSecret = form["client_secret"].ToString();
        if (AuthenticationHeaderValue.TryParse(request.Headers.Authorization, out var header)
            && string.Equals(header.Scheme, "Basic", StringComparison.OrdinalIgnoreCase))
        {
            if (formSecret.Length > 0)
            {
                return (null, null, true, "Use one client authentication method, not both.");
            }

            try
            {
                var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter ?? string.Empty));
                var colon = decoded.IndexOf(':', StringComparison.Ordinal);
                return colon < 0
                    ? (null, null, true, "Malformed Basic credentials.")
                    : (Uri.UnescapeDataString(decoded[..colon].Replace('+', ' ')), Uri.UnescapeDataString(decoded[(colon + 1)..].Replace('+', ' ')), true, null);
            }
            catch (FormatException)
            {
                return (null, null, true, "Malformed Basic credentials.");
            }
        }

        return formId.Length == 0 ? (null, null, false, "client_id is missing.") : (formId, formSecret.Length == 0 ? null : formSecret, false, null);
    }

    private static IResult Error(string error, string description, int status = StatusCodes.Status400BadRequest) =>
        Results.Json(new { error, error_description = description }, statusCode: status);
}
