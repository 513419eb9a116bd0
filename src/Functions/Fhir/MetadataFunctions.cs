using System.Reflection;
using Enclave.Domain.Fhir;
using Enclave.Functions.Invocation;
using Hl7.Fhir.Model;
using Microsoft.Azure.Functions.Worker;

namespace Enclave.Functions.Fhir;

/// <summary><c>GET /api/fhir/R4/metadata</c>: the CapabilityStatement, open to anonymous callers as FHIR requires.</summary>
public sealed class MetadataFunctions(TimeProvider time)
{
    private static readonly string s_version =
        typeof(MetadataFunctions).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? "0.0.0";

    /// <summary>The statement lists every search parameter and include of every type: built once per base URL and day.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(Uri, DateOnly), CapabilityStatement> s_statements = new();

    /// <summary><c>GET fhir/R4/metadata</c>.</summary>
    [Function("FhirMetadata")]
    [Anonymous]
    [NegotiatesFhirFormat]
    public IResult Read([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "fhir/R4/metadata")] HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var baseUrl = new Uri($"{request.Scheme}://{request.Host}{request.PathBase}{FhirHttp.FhirBase}");
        var now = time.GetUtcNow();
        if (s_statements.Count > 64)
        {
            s_statements.Clear();
        }

        var statement = s_statements.GetOrAdd((baseUrl, DateOnly.FromDateTime(now.UtcDateTime)), key => ServerCapabilities.Create(key.Item1, s_version, now));
        return FhirJson.Write(statement, FhirHttp.Format(request.HttpContext));
    }
}
