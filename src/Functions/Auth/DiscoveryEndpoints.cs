using Microsoft.Extensions.Options;

namespace Enclave.Functions.Auth;

/// <summary>
/// <c>/api/.well-known/openid-configuration</c> and <c>/api/fhir/R4/.well-known/smart-configuration</c>: how to
/// get a token here. They state only what is implemented.
/// </summary>
public static class DiscoveryEndpoints
{
    private static readonly string[] s_grants = ["client_credentials", "authorization_code", "refresh_token"];
    private static readonly string[] s_clientAuth = ["client_secret_basic", "client_secret_post"];
    private static readonly string[] s_algorithms = ["ES256"];
    private static readonly string[] s_subjectTypes = ["public"];
    private static readonly string[] s_smartCapabilities = ["client-confidential-symmetric"];

    /// <summary>Maps both discovery documents (anonymous).</summary>
    public static void MapDiscoveryEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/.well-known/openid-configuration", (IOptions<AuthOptions> options) =>
        {
            var issuer = options.Value.Issuer.TrimEnd('/');
            return Results.Json(new
            {
                issuer,
                token_endpoint = $"{issuer}/oauth2/token",
                jwks_uri = $"{issuer}/.well-known/jwks.json",
                grant_types_supported = s_grants,
                token_endpoint_auth_methods_supported = s_clientAuth,
                token_endpoint_auth_signing_alg_values_supported = s_algorithms,
                response_types_supported = Array.Empty<string>(),
                subject_types_supported = s_subjectTypes,
                id_token_signing_alg_values_supported = s_algorithms,
            });
        }).AllowAnonymous();

        endpoints.MapGet("/api/fhir/R4/.well-known/smart-configuration", (IOptions<AuthOptions> options) =>
        {
            var issuer = options.Value.Issuer.TrimEnd('/');
            return Results.Json(new
            {
                issuer,
                jwks_uri = $"{issuer}/.well-known/jwks.json",
                token_endpoint = $"{issuer}/oauth2/token",
                grant_types_supported = s_grants,
                token_endpoint_auth_methods_supported = s_clientAuth,
                capabilities = s_smartCapabilities,
            });
        }).AllowAnonymous();
    }
}
