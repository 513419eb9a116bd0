using Enclave.Domain.Fhir;
using Enclave.Functions.Audit;
using Enclave.Functions.Invocation;
using Hl7.Fhir.Model;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Net.Http.Headers;

namespace Enclave.Functions.Fhir;

/// <summary>
/// The FHIR writes in the caller's project: create (and conditional create with <c>If-None-Exist</c>), update (and
/// conditional update), patch (JSON Patch and FHIRPath Patch, and their conditional forms), delete (and
/// conditional delete). Bodies are parsed strictly; versions travel as <c>ETag: W/"n"</c> and <c>If-Match</c>.
/// </summary>
public sealed class FhirWriteFunctions(FhirRepository repository)
{
    private const string TypeRoute = "fhir/R4/{type}";
    private const string InstanceRoute = "fhir/R4/{type}/{id}";

    /// <summary><c>POST fhir/R4/{type}</c>.</summary>
    [Function("FhirCreate")]
    [Audited("create", "C")]
    [NegotiatesFhirFormat]
    public async Task<IResult> CreateAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = TypeRoute)] HttpRequest request, string type, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var http = request.HttpContext;
        var (resource, refusal) = await FhirHttp.ReadResourceAsync(http, type);
        if (refusal is not null)
        {
            return refusal;
        }

        var ifNoneExist = request.Headers["If-None-Exist"].ToString();
        return FhirHttp.Answer(http, await repository.CreateAsync(resource!, ifNoneExist.Length > 0 ? ifNoneExist : null, cancellationToken));
    }

    /// <summary><c>PUT fhir/R4/{type}/{id}</c>.</summary>
    [Function("FhirUpdate")]
    [Audited("update", "U")]
    [NegotiatesFhirFormat]
    public async Task<IResult> UpdateAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = InstanceRoute)] HttpRequest request, string type, string id,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var http = request.HttpContext;
        var (resource, refusal) = await FhirHttp.ReadResourceAsync(http, type);
        if (refusal is not null)
        {
            return refusal;
        }

        if (FhirHttp.InvalidId(id) is { } invalid)
        {
            return invalid;
        }

        if (resource!.Id != id)
        {
            return ErrorMap.Answer(ErrorKind.Invalid, $"The body's id ({resource.Id ?? "none"}) must be the id in the address ({id}).");
        }

        return FhirHttp.TryIfMatch(http, out var ifMatch, out var badIfMatch)
            ? FhirHttp.Answer(http, await repository.UpdateAsync(resource, ifMatch, cancellationToken))
            : badIfMatch;
    }

    /// <summary><c>PUT fhir/R4/{type}?criteria</c>.</summary>
    [Function("FhirConditionalUpdate")]
    [Audited("update", "U")]
    [NegotiatesFhirFormat]
    public async Task<IResult> ConditionalUpdateAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = TypeRoute)] HttpRequest request, string type, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var http = request.HttpContext;
        var (resource, refusal) = await FhirHttp.ReadResourceAsync(http, type);
        if (refusal is not null)
        {
            return refusal;
        }

        return FhirHttp.TryIfMatch(http, out var ifMatch, out var badIfMatch)
            ? FhirHttp.Answer(http, await repository.ConditionalUpdateAsync(resource!, request.QueryString.Value ?? string.Empty, ifMatch, cancellationToken))
            : badIfMatch;
    }

    /// <summary><c>PATCH fhir/R4/{type}/{id}</c>.</summary>
    [Function("FhirPatch")]
    [Audited("patch", "U")]
    [NegotiatesFhirFormat]
    public Task<IResult> PatchAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "patch", Route = InstanceRoute)] HttpRequest request, string type, string id,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return FhirHttp.InvalidId(id) is { } invalid
            ? System.Threading.Tasks.Task.FromResult(invalid)
            : PatchAsync(request.HttpContext, type, (apply, ifMatch) => repository.PatchAsync(type, id, apply, ifMatch, cancellationToken));
    }

    /// <summary><c>PATCH fhir/R4/{type}?criteria</c>.</summary>
    [Function("FhirConditionalPatch")]
    [Audited("patch", "U")]
    [NegotiatesFhirFormat]
    public Task<IResult> ConditionalPatchAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "patch", Route = TypeRoute)] HttpRequest request, string type, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return PatchAsync(request.HttpContext, type, (apply, ifMatch) =>
            repository.ConditionalPatchAsync(type, request.QueryString.Value ?? string.Empty, apply, ifMatch, cancellationToken));
    }

    /// <summary><c>DELETE fhir/R4/{type}/{id}</c>.</summary>
    [Function("FhirDelete")]
    [Audited("delete", "D")]
    [NegotiatesFhirFormat]
    public async Task<IResult> DeleteAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = InstanceRoute)] HttpRequest request, string type, string id,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return FhirHttp.UnwritableType(type) ?? FhirHttp.InvalidId(id) ?? FhirHttp.Answer(request.HttpContext, await repository.DeleteAsync(type, id, cancellationToken));
    }

    /// <summary><c>DELETE fhir/R4/{type}?criteria</c>.</summary>
    [Function("FhirConditionalDelete")]
    [Audited("delete", "D")]
    [NegotiatesFhirFormat]
    public async Task<IResult> ConditionalDeleteAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = TypeRoute)] HttpRequest request, string type, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return FhirHttp.UnwritableType(type)
            ?? FhirHttp.Answer(request.HttpContext, await repository.ConditionalDeleteAsync(type, request.QueryString.Value ?? string.Empty, cancellationToken));
    }

    /// <summary>A PATCH: the type known, the body read as a patch, If-Match valid, then <paramref name="patch"/> runs.</summary>
    private static async Task<IResult> PatchAsync(HttpContext http, string type,
        Func<Func<string, (Resource?, OperationOutcome?)>, int?, Task<FhirRepository.Result>> patch)
    {
        if (FhirHttp.UnwritableType(type) is { } unknown)
        {
            return unknown;
        }

        var (apply, refusal) = await ReadPatchAsync(http);
        if (refusal is not null)
        {
            return refusal;
        }

        return FhirHttp.TryIfMatch(http, out var ifMatch, out var badIfMatch) ? FhirHttp.Answer(http, await patch(apply!, ifMatch)) : badIfMatch;
    }

    /// <summary>
    /// Reads a PATCH body: JSON Patch (<c>application/json-patch+json</c>) or FHIRPath Patch (a Parameters resource).
    /// The answer turns the current JSON into the patched resource, re-parsed strictly, or an outcome saying why not.
    /// </summary>
    private static async Task<(Func<string, (Resource?, OperationOutcome?)>? Apply, IResult? Refusal)> ReadPatchAsync(HttpContext http)
    {
        var mediaType = MediaTypeHeaderValue.TryParse(http.Request.ContentType, out var parsed) ? parsed.MediaType.Value : null;
        Func<string, (Resource?, OperationOutcome?)> apply;
        if (mediaType == "application/json-patch+json")
        {
            var (patch, tooLarge) = await FhirHttp.ReadTextAsync(http);
            if (tooLarge is not null)
            {
                return (null, tooLarge);
            }

            // A patch that is no patch is refused before the resource is read.
            var limits = FhirHttp.Limits(http);
            if (!JsonPatch.TryRead(patch!, limits, out _, out var unreadable))
            {
                return (null, ErrorMap.Answer(ErrorKind.Invalid, unreadable));
            }

            apply = json => JsonPatch.TryApply(System.Text.Json.Nodes.JsonNode.Parse(json)!, patch!, limits, out var patched, out var error)
                ? ResourceParser.TryParse(patched!.ToJsonString(), limits, out var resource, out var outcome) ? (resource, null) : (null, outcome)
                : (null, FhirErrors.Outcome(OperationOutcome.IssueType.Invalid, error));
        }
        else if (mediaType is "application/fhir+json" or "application/json" or "application/fhir+xml" or "application/xml")
        {
            var (body, refusal) = await FhirHttp.ReadResourceAsync(http, null);
            if (refusal is not null)
            {
                return (null, refusal);
            }

            if (body is not Parameters parameters)
            {
                return (null, ErrorMap.Answer(ErrorKind.Invalid, $"A FHIRPath Patch is a Parameters resource, not a {body!.TypeName}."));
            }

            if (FhirPathPatch.Problem(parameters) is { } problem)
            {
                return (null, ErrorMap.Answer(ErrorKind.Invalid, problem));
            }

            apply = FhirPathPatch.Applier(parameters);
        }
        else
        {
            return (null, ErrorMap.Answer(ErrorKind.UnsupportedMedia,
                "PATCH takes application/json-patch+json (JSON Patch) or a FHIRPath Patch Parameters resource (application/fhir+json or +xml)."));
        }

        return (apply, null);
    }
}
