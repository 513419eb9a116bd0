using Enclave.Functions.Invocation;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;

namespace Enclave.Functions.Auth;

/// <summary>
/// How to get a token here, all anonymous: <c>.well-known/openid-configuration</c>,
/// <c>fhir/R4/.well-known/smart-configuration</c> and the public signing keys (<c>.well-known/jwks.json</c>). The
/// discovery documents state only what is implemented.
/// </summary>
public sealed class DiscoveryFunctions(IOptions<AuthOptions> options, SigningKeys keys)
{
    private static readonly string[] s_grants = ["client_credentials", "authorization_code", "refresh_token"];
    private static readonly string[] s_clientAuth = ["client_secret_basic", "client_secret_post"];
    private static readonly string[] s_algorithms = ["ES256"];
    private static readonly string[] s_subjectTypes = ["public"];
    private static readonly string[] s_smartCapabilities = ["client-confidential-symmetric"];

    private string Issuer => options.Value.Issuer.TrimEnd('/');

    /// <summary><c>GET .well-known/openid-configuration</c>.</summary>
    [Function("OpenIdConfiguration")]
    [Anonymous]
    public IResult OpenIdConfiguration([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ".well-known/openid-configuration")] HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Results.Json(new
        {
            issuer = Issuer,
            token_endpoint = $"{Issuer}/oauth2/token",
            jwks_uri = $"{Issuer}/.well-known/jwks.json",
            grant_types_supported = s_grants,
            token_endpoint_auth_methods_supported = s_clientAuth,
            token_endpoint_auth_signing_alg_values_supported = s_algorithms,
            response_types_supported = Array.Empty<string>(),
            subject_types_supported = s_subjectTypes,
            id_token_signing_alg_values_supported = s_algorithms,
        });
    }

    /// <summary><c>GET fhir/R4/.well-known/smart-configuration</c>.</summary>
    [Function("SmartConfiguration")]
    [Anonymous]
    public IResult SmartConfiguration([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "fhir/R4/.well-known/smart-configuration")] HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Results.Json(new
        {
            issuer = Issuer,
            jwks_uri = $"{Issuer}/.well-known/jwks.json",
            token_endpoint = $"{Issuer}/oauth2/token",
            grant_types_supported = s_grants,
            token_endpoint_auth_methods_supported = s_clientAuth,
            capabilities = s_smartCapabilities,
        });
    }

    /// <summary><c>GET .well-known/jwks.json</c>: the public token signing keys (JWK Set, ES256).</summary>
    [Function("Jwks")]
    [Anonymous]
    public IResult Jwks([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ".well-known/jwks.json")] HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.HttpContext.Response.Headers.CacheControl = "public, max-age=300";
        return Results.Text(keys.JwksJson, "application/json");
    }
}
