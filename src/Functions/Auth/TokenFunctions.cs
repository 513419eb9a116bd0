using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Enclave.Domain.Tenancy;
using Enclave.Functions.Access;
using Enclave.Functions.Audit;
using Enclave.Functions.Invocation;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Azure.Functions.Worker;

namespace Enclave.Functions.Auth;

/// <summary>
/// <c>POST /api/oauth2/token</c> (RFC 6749): form-encoded, errors as <c>{error, error_description}</c>.
/// Grants: <c>client_credentials</c> with <c>client_secret_basic</c> or <c>client_secret_post</c>;
/// <c>authorization_code</c> with PKCE after a user login; <c>refresh_token</c> with rotation. The form is read within
/// fixed bounds (<see cref="MaxFormBytes"/>, field count and length), and credential checks pass
/// <see cref="SignInThrottle"/> (429 with <c>Retry-After</c>; ADR 0003).
/// </summary>
public sealed class TokenFunctions(ITenancyStore store, IIdentityStore identity, CallerResolver callers, TokenIssuer issuer,
    TimeProvider time, SignInThrottle throttle, AuditRecorder auditing)
{
    /// <summary>The largest token request accepted (a token form holds a handful of short fields).</summary>
    public const int MaxFormBytes = 16 * 1024;

    /// <summary>The longest client id accepted; longer ones are refused before any lookup.</summary>
    public const int MaxClientIdLength = 256;

    // Bounds on the form itself, also for a chunked body without Content-Length; exceeding one throws InvalidDataException.
    private static readonly FormOptions s_formLimits = new() { ValueCountLimit = 32, KeyLengthLimit = 64, ValueLengthLimit = 4096 };

    /// <summary><c>POST oauth2/token</c> (anonymous: the client authenticates with its secret).</summary>
    [Function("Token")]
    [Audited("login", "E", Category = AuditCategory.Login)]
    [Anonymous]
    public async Task<IResult> IssueAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "oauth2/token")] HttpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var http = request.HttpContext;
        http.Response.Headers.CacheControl = "no-store";
        var (form, problem) = await ReadFormAsync(http);
        if (form is null)
        {
            return problem!;
        }

        var address = AddressRules.ClientAddress(http);
        var grant = form["grant_type"].ToString();
        if (grant is "authorization_code" or "refresh_token")
        {
            // Codes and refresh tokens are unguessable; only the address is throttled.
            if (await ThrottleAsync(http, throttle, null, address, time) is { } refused)
            {
                return refused;
            }

            var services = new UserGrants.Services(identity, callers, issuer, time);
            var outcome = grant == "authorization_code"
                ? await UserGrants.AuthorizationCodeAsync(form, services, cancellationToken)
                : await UserGrants.RefreshTokenAsync(form, services, cancellationToken);
            throttle.Record(null, address, outcome.Error is null);
            if (outcome.Login is { ProjectId: { } loginProject, MembershipId: { } loginMembership })
            {
                await auditing.AttributeAsync(http, loginProject, loginMembership, cancellationToken);
            }

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
                grant.Length == 0 ? "grant_type is missing." : "This grant_type is not supported.");
        }

        var (clientId, secret, usedBasic, invalid) = ClientAuthentication(http.Request, form);
        if (invalid is not null)
        {
            return Error("invalid_request", invalid);
        }

        var who = $"client:{clientId}";
        if (await ThrottleAsync(http, throttle, who, address, time) is { } throttled)
        {
            return throttled;
        }

        var client = await store.FindClientAsync(clientId!, cancellationToken);
        if (client is not null)
        {
            await auditing.AttributeAsync(http, client.ProjectId, client.MembershipId, cancellationToken);
        }

        if (client is null || secret is null || !client.Accepts(secret, time.GetUtcNow()))
        {
            throttle.Record(who, address, succeeded: false);
            if (usedBasic)
            {
                http.Response.Headers.WWWAuthenticate = "Basic realm=\"enclave\"";
            }

            return Error("invalid_client", "Client authentication failed.", StatusCodes.Status401Unauthorized);
        }

        throttle.Record(who, address, succeeded: true);
        var caller = await callers.ResolveAsync(client.ProjectId, client.MembershipId, cancellationToken);
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
    }

    /// <summary>
    /// The 429 for a throttled attempt (RFC 6749 error body, code <c>slow_down</c> from the OAuth extensions error
    /// registry, with <c>Retry-After</c>), or null after waiting out any slow-down.
    /// </summary>
    private static async Task<IResult?> ThrottleAsync(HttpContext http, SignInThrottle throttle, string? who, System.Net.IPAddress? address, TimeProvider time)
    {
        var decision = throttle.Check(who, address);
        if (decision.RetryAfter is { } wait)
        {
            var seconds = RetryAfter(http, wait);
            return Error("slow_down", $"Too many attempts; retry after {seconds} seconds.", StatusCodes.Status429TooManyRequests);
        }

        if (decision.Delay > TimeSpan.Zero)
        {
            await Task.Delay(decision.Delay, time, http.RequestAborted);
        }

        return null;
    }

    /// <summary>Sets <c>Retry-After</c> (whole seconds, at least one) and returns its value.</summary>
    internal static int RetryAfter(HttpContext http, TimeSpan wait)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return seconds;
    }

    /// <summary>
    /// The form, read within <see cref="MaxFormBytes"/> and <see cref="s_formLimits"/>, or the RFC 6749
    /// <c>invalid_request</c> answer: only <c>application/x-www-form-urlencoded</c> (no multipart), nothing larger.
    /// </summary>
    private static async Task<(IFormCollection? Form, IResult? Problem)> ReadFormAsync(HttpContext http)
    {
        if (!MediaTypeHeaderValue.TryParse(http.Request.ContentType, out var type)
            || !string.Equals(type.MediaType, "application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
        {
            return (null, Error("invalid_request", "The token request must be application/x-www-form-urlencoded."));
        }

        if (http.Request.ContentLength > MaxFormBytes)
        {
            return (null, Error("invalid_request", $"The token request exceeds {MaxFormBytes} bytes.", StatusCodes.Status413PayloadTooLarge));
        }

        try
        {
            return (await http.Request.ReadFormAsync(s_formLimits, http.RequestAborted), null);
        }
        catch (InvalidDataException)
        {
            return (null, Error("invalid_request", "The form has too many fields or a field that is too long."));
        }
        catch (BadHttpRequestException e)
        {
            return (null, e.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? Error("invalid_request", $"The token request exceeds {MaxFormBytes} bytes.", StatusCodes.Status413PayloadTooLarge)
                : Error("invalid_request", "The form could not be read."));
        }
    }

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
                if (colon <= 0)
                {
                    return (null, null, true, "Malformed Basic credentials.");
                }

                var id = Uri.UnescapeDataString(decoded[..colon].Replace('+', ' '));
                return id.Length > MaxClientIdLength
                    ? (null, null, true, TooLongClientId)
                    : (id, Uri.UnescapeDataString(decoded[(colon + 1)..].Replace('+', ' ')), true, null);
            }
            catch (FormatException)
            {
                return (null, null, true, "Malformed Basic credentials.");
            }
        }

        return formId.Length == 0 ? (null, null, false, "client_id is missing.")
            : formId.Length > MaxClientIdLength ? (null, null, false, TooLongClientId)
            : (formId, formSecret.Length == 0 ? null : formSecret, false, null);
    }

    private const string TooLongClientId = "client_id is too long.";

    private static IResult Error(string error, string description, int status = StatusCodes.Status400BadRequest) =>
        Results.Json(new { error, error_description = description }, statusCode: status);
}
