using System.Globalization;
using Enclave.Domain.Fhir;
using Hl7.Fhir.Model;
using Microsoft.AspNetCore.WebUtilities;

namespace Enclave.Functions.Fhir;

/// <summary>
/// <c>POST /api/fhir/R4</c> with a <c>batch</c> or <c>transaction</c> Bundle (see <see cref="BundleProcessor"/>).
/// Each response entry carries its status, location, ETag and last-modified time, and the resource unless
/// <c>Prefer: return=minimal</c>.
/// </summary>
public static class BundleEndpoint
{
    /// <summary>Maps the batch/transaction route.</summary>
    public static void MapBundleEndpoint(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapPost(MetadataEndpoint.FhirBase, async (HttpContext http, IResourceStore store, TimeProvider time) =>
        {
            var (resource, refusal) = await FhirResourceEndpoints.ReadResourceAsync(http, null);
            if (refusal is not null)
            {
                return refusal;
            }

            if (resource is not Bundle bundle)
            {
                return FhirResourceEndpoints.Outcome(OperationOutcome.IssueType.Invalid, $"POST to the base takes a Bundle, not a {resource!.TypeName}.", StatusCodes.Status400BadRequest);
            }

            var minimal = http.Request.Headers["Prefer"].ToString().Contains("return=minimal", StringComparison.OrdinalIgnoreCase);
            var baseUrl = FhirResourceEndpoints.BaseUrl(http);
            var answer = await new BundleProcessor(FhirResourceEndpoints.Repository(http, store, time))
                .ProcessAsync(bundle, result => Entry(result, baseUrl, minimal), http.RequestAborted);
            var format = FhirResourceEndpoints.Format(http);
            return answer.Response is { } response
                ? FhirJson.Write(response, format)
                : FhirJson.Write(answer.Outcome!, format, answer.Status);
        });

    private static Bundle.EntryComponent Entry(FhirRepository.Result result, string baseUrl, bool minimal)
    {
        var entry = new Bundle.EntryComponent
        {
            Response = new Bundle.ResponseComponent
            {
                Status = $"{result.Status.ToString(CultureInfo.InvariantCulture)} {ReasonPhrases.GetReasonPhrase(result.Status)}",
                Outcome = result.Outcome,
            },
        };
        if (result.Resource is { } stored)
        {
            entry.FullUrl = $"{baseUrl}/{stored.Reference}";
            entry.Response.Etag = FhirResourceEndpoints.VersionETag(stored.VersionId);
            entry.Response.LastModified = stored.LastUpdated;
            if (result.Status == StatusCodes.Status201Created)
            {
                entry.Response.Location = $"{stored.Reference}/_history/{stored.VersionId.ToString(CultureInfo.InvariantCulture)}";
            }

            if (!minimal && !stored.Deleted && result.Status < StatusCodes.Status300MultipleChoices && ResourceParser.TryParse(stored.Json, out var resource, out _))
            {
                entry.Resource = resource;
            }
        }

        return entry;
    }
}
