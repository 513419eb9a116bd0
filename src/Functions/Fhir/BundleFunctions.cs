using System.Globalization;
using Enclave.Domain.Fhir;
using Enclave.Functions.Audit;
using Enclave.Functions.Auth;
using Enclave.Functions.Invocation;
using Hl7.Fhir.Model;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Azure.Functions.Worker;

namespace Enclave.Functions.Fhir;

/// <summary>
/// <c>POST /api/fhir/R4</c> with a <c>batch</c> or <c>transaction</c> Bundle (see <see cref="BundleProcessor"/>).
/// Each response entry carries its status, location, ETag and last-modified time, and the resource unless
/// <c>Prefer: return=minimal</c>.
/// </summary>
public sealed class BundleFunctions(FhirRepository repository, Metering.QuotaGate quotas)
{
    /// <summary><c>POST fhir/R4</c>.</summary>
    [Function("FhirBundle")]
    [Audited("batch", "E")]
    [NegotiatesFhirFormat]
    public async Task<IResult> ProcessAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "fhir/R4")] HttpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var http = request.HttpContext;
        var (resource, refusal) = await FhirHttp.ReadResourceAsync(http, null);
        if (refusal is not null)
        {
            return refusal;
        }

        if (resource is not Bundle bundle)
        {
            return ErrorMap.Answer(ErrorKind.Invalid, $"POST to the base takes a Bundle, not a {resource!.TypeName}.");
        }

        if (quotas.QuotasOf(http.Caller()).BundleEntries is > 0 and var most && bundle.Entry.Count > most && bundle.Entry.Count <= BundleProcessor.MaxEntries)
        {
            return Metering.QuotaGate.Refuse(http, "quotaBundleEntries", TimeSpan.FromSeconds(60),
                $"This project's bundles hold at most {most} entries; send {bundle.Entry.Count} as several bundles.");
        }

        var minimal = http.Request.Headers["Prefer"].ToString().Contains("return=minimal", StringComparison.OrdinalIgnoreCase);
        var baseUrl = FhirHttp.BaseUrl(http);
        var answer = await new BundleProcessor(repository)
            .ProcessAsync(bundle, result => Entry(result, baseUrl, minimal), cancellationToken);
        var format = FhirHttp.Format(http);
        return answer.Response is { } response
            ? FhirJson.Write(response, format)
            : FhirJson.Write(answer.Outcome!, format, answer.Status);
    }

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
            entry.Response.Etag = FhirHttp.VersionETag(stored.VersionId);
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
