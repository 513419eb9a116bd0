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

    /// <summary>Maps the metadata route.</summary>
    public static void MapFhirMetadata(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapGet($"{FhirBase}/metadata", (HttpContext http, TimeProvider time) =>
        {
            var request = http.Request;
            var baseUrl = new Uri($"{request.Scheme}://{request.Host}{request.PathBase}{FhirBase}");
            CapabilityStatement statement = ServerCapabilities.Create(baseUrl, s_version, time.GetUtcNow());
            return FhirJson.Write(statement, FhirResourceEndpoints.Format(http));
        }).AllowAnonymous();
}
