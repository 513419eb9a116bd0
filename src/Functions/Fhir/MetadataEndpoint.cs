using System.Reflection;
using Enclave.Domain.Fhir;
using Hl7.Fhir.Model;

namespace Enclave.Functions.Fhir;

/// <summary><c>GET /api/fhir/R4/metadata</c>: the CapabilityStatement, open to anonymous callers as FHIR requires.</summary>
public static class MetadataEndpoint
{
    /// <summary>The FHIR base path every FHIR route lives under.</summary>
    public const string FhirBase = "/api/fhir/R4";

    private static readonly string s_version =
        typeof(MetadataEndpoint).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? "0.0.0";

    /// <summary>The statement lists every search parameter and include of every type: built once per base URL and day.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(Uri, DateOnly), CapabilityStatement> s_statements = new();

    /// <summary>Maps the metadata route.</summary>
    public static void MapFhirMetadata(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapGet($"{FhirBase}/metadata", (HttpContext http, TimeProvider time) =>
        {
            var request = http.Request;
            var baseUrl = new Uri($"{request.Scheme}://{request.Host}{request.PathBase}{FhirBase}");
            var now = time.GetUtcNow();
            if (s_statements.Count > 64)
            {
                s_statements.Clear();
            }

            var statement = s_statements.GetOrAdd((baseUrl, DateOnly.FromDateTime(now.UtcDateTime)), key => ServerCapabilities.Create(key.Item1, s_version, now));
            return FhirJson.Write(statement, FhirResourceEndpoints.Format(http));
        }).AllowAnonymous();
}
