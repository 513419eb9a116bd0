using System.Globalization;
using System.Text;
using Enclave.Domain.Fhir;
using Enclave.Functions.Auth;
using Hl7.Fhir.Model;
using Microsoft.Net.Http.Headers;

namespace Enclave.Functions.Fhir;

/// <summary>
/// The FHIR REST interactions on resources in the caller's project: create (and conditional create with
/// <c>If-None-Exist</c>), read, vread, update (and conditional update), patch, delete (and conditional delete).
/// Bodies are parsed strictly (JSON or XML); versions travel as <c>ETag: W/"n"</c> and <c>If-Match</c>.
/// </summary>
public static class FhirResourceEndpoints
{
    /// <summary>The largest body accepted: a Cosmos document holds at most 2 MB.</summary>
    public const int MaxBodyBytes = 2 * 1024 * 1024;

    private const string Base = MetadataEndpoint.FhirBase;

    /// <summary>Maps the resource routes.</summary>
    public static void MapFhirResourceEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost($"{Base}/{{type}}", async (string type, HttpContext http, IResourceStore store, TimeProvider time) =>
        {
            var (resource, refusal) = await ReadResourceAsync(http, type);
            if (refusal is not null)
            {
                return refusal;
            }

            var ifNoneExist = http.Request.Headers["If-None-Exist"].ToString();
            var result = await Repository(http, store, time).CreateAsync(resource!, ifNoneExist.Length > 0 ? ifNoneExist : null, http.RequestAborted);
            return Answer(http, result);
        });

        endpoints.MapGet($"{Base}/{{type}}/{{id}}", async (string type, string id, HttpContext http, IResourceStore store, TimeProvider time) =>
        {
            if ((UnknownType(type) ?? UnknownId(type, id)) is { } unknown)
            {
                return unknown;
            }

            var result = await Repository(http, store, time).ReadAsync(type, id, http.RequestAborted);
            return result is { Status: StatusCodes.Status200OK, Resource: { } current } && NotModified(http.Request, current)
                ? NotModifiedAnswer(http, current)
                : Answer(http, result);
        });

        endpoints.MapGet($"{Base}/{{type}}/{{id}}/_history/{{vid}}", async (string type, string id, string vid, HttpContext http, IResourceStore store, TimeProvider time) =>
        {
            if ((UnknownType(type) ?? UnknownId(type, id)) is { } unknown)
            {
                return unknown;
            }

            return int.TryParse(vid, NumberStyles.None, CultureInfo.InvariantCulture, out var version) && version > 0
                ? Answer(http, await Repository(http, store, time).VersionReadAsync(type, id, version, http.RequestAborted))
                : Outcome(OperationOutcome.IssueType.NotFound, $"{type}/{id}/_history/{vid} is not known.", StatusCodes.Status404NotFound);
        });

        endpoints.MapPut($"{Base}/{{type}}/{{id}}", async (string type, string id, HttpContext http, IResourceStore store, TimeProvider time) =>
        {
            var (resource, refusal) = await ReadResourceAsync(http, type);
            if (refusal is not null)
            {
                return refusal;
            }

            if (InvalidId(id) is { } invalid)
            {
                return invalid;
            }

            if (resource!.Id != id)
            {
                return Outcome(OperationOutcome.IssueType.Invalid, $"The body's id ({resource.Id ?? "none"}) must be the id in the address ({id}).", StatusCodes.Status400BadRequest);
            }

            if (!TryIfMatch(http, out var ifMatch, out var badIfMatch))
            {
                return badIfMatch;
            }

            return Answer(http, await Repository(http, store, time).UpdateAsync(resource, ifMatch, http.RequestAborted));
        });

        endpoints.MapPut($"{Base}/{{type}}", async (string type, HttpContext http, IResourceStore store, TimeProvider time) =>
        {
            var (resource, refusal) = await ReadResourceAsync(http, type);
            if (refusal is not null)
            {
                return refusal;
            }

            if (!TryIfMatch(http, out var ifMatch, out var badIfMatch))
            {
                return badIfMatch;
            }

            return Answer(http, await Repository(http, store, time).ConditionalUpdateAsync(resource!, http.Request.QueryString.Value ?? string.Empty, ifMatch, http.RequestAborted));
        });

        endpoints.MapPatch($"{Base}/{{type}}/{{id}}", (string type, string id, HttpContext http, IResourceStore store, TimeProvider time) =>
            InvalidId(id) is { } invalid ? System.Threading.Tasks.Task.FromResult(invalid)
                : PatchAsync(http, type, (apply, ifMatch) => Repository(http, store, time).PatchAsync(type, id, apply, ifMatch, http.RequestAborted)));

        endpoints.MapPatch($"{Base}/{{type}}", (string type, HttpContext http, IResourceStore store, TimeProvider time) =>
            PatchAsync(http, type, (apply, ifMatch) => Repository(http, store, time)
                .ConditionalPatchAsync(type, http.Request.QueryString.Value ?? string.Empty, apply, ifMatch, http.RequestAborted)));

        endpoints.MapDelete($"{Base}/{{type}}/{{id}}", async (string type, string id, HttpContext http, IResourceStore store, TimeProvider time) =>
            UnknownType(type) ?? InvalidId(id) ?? Answer(http, await Repository(http, store, time).DeleteAsync(type, id, http.RequestAborted)));

        endpoints.MapDelete($"{Base}/{{type}}", async (string type, HttpContext http, IResourceStore store, TimeProvider time) =>
            UnknownType(type) ?? Answer(http, await Repository(http, store, time).ConditionalDeleteAsync(type, http.Request.QueryString.Value ?? string.Empty, http.RequestAborted)));
    }

    /// <summary>A PATCH: the type known, the body read as a patch, If-Match valid, then <paramref name="patch"/> runs.</summary>
    private static async Task<IResult> PatchAsync(HttpContext http, string type,
        Func<Func<string, (Resource?, OperationOutcome?)>, int?, Task<FhirRepository.Result>> patch)
    {
        if (UnknownType(type) is { } unknown)
        {
            return unknown;
        }

        var (apply, refusal) = await ReadPatchAsync(http);
        if (refusal is not null)
        {
            return refusal;
        }

        return TryIfMatch(http, out var ifMatch, out var badIfMatch) ? Answer(http, await patch(apply!, ifMatch)) : badIfMatch;
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
            var (patch, tooLarge) = await ReadTextAsync(http);
            if (tooLarge is not null)
            {
                return (null, tooLarge);
            }

            // A patch that is no patch is refused before the resource is read.
            var limits = Limits(http);
            if (!JsonPatch.TryRead(patch!, limits, out _, out var unreadable))
            {
                return (null, Outcome(OperationOutcome.IssueType.Invalid, unreadable, StatusCodes.Status400BadRequest));
            }

            apply = json => JsonPatch.TryApply(System.Text.Json.Nodes.JsonNode.Parse(json)!, patch!, limits, out var patched, out var error)
                ? ResourceParser.TryParse(patched!.ToJsonString(), limits, out var resource, out var outcome) ? (resource, null) : (null, outcome)
                : (null, FhirErrors.Outcome(OperationOutcome.IssueType.Invalid, error));
        }
        else if (mediaType is "application/fhir+json" or "application/json" or "application/fhir+xml" or "application/xml")
        {
            var (body, refusal) = await ReadResourceAsync(http, null);
            if (refusal is not null)
            {
                return (null, refusal);
            }

            if (body is not Parameters parameters)
            {
                return (null, Outcome(OperationOutcome.IssueType.Invalid, $"A FHIRPath Patch is a Parameters resource, not a {body!.TypeName}.", StatusCodes.Status400BadRequest));
            }

            if (FhirPathPatch.Problem(parameters) is { } problem)
            {
                return (null, Outcome(OperationOutcome.IssueType.Invalid, problem, StatusCodes.Status400BadRequest));
            }

            apply = FhirPathPatch.Applier(parameters);
        }
        else
        {
            return (null, Outcome(OperationOutcome.IssueType.NotSupported,
                "PATCH takes application/json-patch+json (JSON Patch) or a FHIRPath Patch Parameters resource (application/fhir+json or +xml).",
                StatusCodes.Status415UnsupportedMediaType));
        }


        return (apply, null);
    }

    /// <summary>The repository of the caller's scope: the only way to the store.</summary>
    internal static FhirRepository Repository(HttpContext http, IResourceStore store, TimeProvider time) => new(http.Caller().Access, store, time);

    /// <summary>404 unless <paramref name="type"/> is exactly a FHIR R4 resource type name (case-sensitive).</summary>
    internal static IResult? UnknownType(string type) =>
        ResourceTypes.IsKnown(type)
            ? null
            : Outcome(OperationOutcome.IssueType.NotSupported, $"{type} is not a FHIR R4 resource type.", StatusCodes.Status404NotFound);

    /// <summary>For reads: 404 when <paramref name="id"/> is not a FHIR id (no resource can have it).</summary>
    internal static IResult? UnknownId(string type, string id) =>
        FhirId.IsValid(id) ? null : Outcome(OperationOutcome.IssueType.NotFound, $"{type}/{id} is not known: '{id}' is not a FHIR id.", StatusCodes.Status404NotFound);

    /// <summary>For writes: 400 when <paramref name="id"/> is not a FHIR id.</summary>
    internal static IResult? InvalidId(string id) =>
        FhirId.IsValid(id) ? null : Outcome(OperationOutcome.IssueType.Invalid, $"'{id}' is not a FHIR id (1 to {FhirId.MaxLength} letters, digits, '-' and '.').", StatusCodes.Status400BadRequest);

    /// <summary>Reads and strictly parses a resource body of <paramref name="type"/>: 415, 413 and 400 answers for what cannot be one.</summary>
    internal static async Task<(Resource? Resource, IResult? Refusal)> ReadResourceAsync(HttpContext http, string? type)
    {
        if (type is not null && UnknownType(type) is { } unknown)
        {
            return (null, unknown);
        }

        var mediaType = MediaTypeHeaderValue.TryParse(http.Request.ContentType, out var parsed) ? parsed.MediaType.Value : null;
        var xml = mediaType is "application/fhir+xml" or "application/xml" or "text/xml";
        if (!xml && mediaType is not ("application/fhir+json" or "application/json"))
        {
            return (null, Outcome(OperationOutcome.IssueType.NotSupported, "Send application/fhir+json or application/fhir+xml.", StatusCodes.Status415UnsupportedMediaType));
        }

        var (text, tooLarge) = await ReadTextAsync(http);
        if (tooLarge is not null)
        {
            return (null, tooLarge);
        }

        var limits = Limits(http);
        var ok = xml ? ResourceParser.TryParseXml(text!, limits, out var resource, out var outcome) : ResourceParser.TryParse(ServerManagedMeta.Strip(text!), limits, out resource, out outcome);
        // The write rules (ids, narratives) are checked again on every write; here they refuse a body before it reaches
        // the store at all. A bundle's entries answer for themselves (a batch's one by one), so BundleProcessor checks them.
        if ((ok ? (resource is Bundle ? null : WriteRules.Check(resource!)) : outcome) is { } refused)
        {
            return (null, FhirJson.Write(refused, Format(http), StatusCodes.Status400BadRequest));
        }

        return type is null || resource!.TypeName == type
            ? (resource, null)
            : (null, Outcome(OperationOutcome.IssueType.Invalid, $"The body is a {resource.TypeName}, the address says {type}.", StatusCodes.Status400BadRequest));
    }

    /// <summary>The parser limits for client bodies: a <see cref="ParserLimits"/> registered as a service (bound to configuration), else the defaults.</summary>
    internal static ParserLimits Limits(HttpContext http) => http.RequestServices.GetService<ParserLimits>() ?? ParserLimits.Default;

    /// <summary>The body as text, or 413 when it exceeds <see cref="MaxBodyBytes"/>.</summary>
    internal static async Task<(string? Text, IResult? TooLarge)> ReadTextAsync(HttpContext http)
    {
        if (http.Request.ContentLength > MaxBodyBytes)
        {
            return (null, TooLarge());
        }

        using var body = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        while ((read = await http.Request.Body.ReadAsync(buffer, http.RequestAborted)) > 0)
        {
            if (body.Length + read > MaxBodyBytes)
            {
                return (null, TooLarge());
            }

            body.Write(buffer, 0, read);
        }

        return (Encoding.UTF8.GetString(body.ToArray()), null);
    }

    /// <summary>The negotiated answer format; plain JSON when negotiation failed (the endpoint has answered 406 already).</summary>
    internal static FhirFormat Format(HttpContext http) =>
        http.Items[typeof(FhirFormat)] as FhirFormat ?? FhirFormat.Negotiate(http.Request).Format ?? new FhirFormat(false, false, Hl7.Fhir.Rest.SummaryType.False, []);

    /// <summary>
    /// Writes a repository result: the resource with its version headers (a write honours
    /// <c>Prefer: return=minimal|representation|OperationOutcome</c>), or the outcome.
    /// </summary>
    internal static IResult Answer(HttpContext http, FhirRepository.Result result)
    {
        var format = Format(http);
        if (result.Status < StatusCodes.Status300MultipleChoices && result.Resource is { } stored && !stored.Deleted)
        {
            SetVersionHeaders(http, stored);
            if (result.Status == StatusCodes.Status201Created)
            {
                http.Response.Headers.Location = $"{BaseUrl(http)}/{stored.ResourceType}/{stored.Id}/_history/{stored.VersionId.ToString(CultureInfo.InvariantCulture)}";
            }

            var isWrite = !HttpMethods.IsGet(http.Request.Method);
            var prefer = http.Request.Headers["Prefer"].ToString();
            if (isWrite && prefer.Contains("return=minimal", StringComparison.OrdinalIgnoreCase))
            {
                return Results.StatusCode(result.Status);
            }

            if (isWrite && prefer.Contains("return=OperationOutcome", StringComparison.OrdinalIgnoreCase))
            {
                var written = new OperationOutcome
                {
                    Issue = [new OperationOutcome.IssueComponent { Severity = OperationOutcome.IssueSeverity.Information, Code = OperationOutcome.IssueType.Informational,
                        Diagnostics = $"{stored.Reference} is at version {stored.VersionId.ToString(CultureInfo.InvariantCulture)}." }],
                };
                return FhirJson.Write(written, format, result.Status);
            }

            return FhirJson.Write(stored.Json, format, result.Status);
        }

        return result.Outcome is { } outcome
            ? FhirJson.Write(outcome, format, result.Status)
            : Results.StatusCode(result.Status);
    }

    /// <summary>The FHIR base URL of this request, e.g. <c>https://host/api/fhir/R4</c>.</summary>
    internal static string BaseUrl(HttpContext http) => $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}{Base}";

    private static void SetVersionHeaders(HttpContext http, StoredResource stored)
    {
        http.Response.Headers.ETag = VersionETag(stored.VersionId);
        http.Response.Headers.LastModified = stored.LastUpdated.ToString("R", CultureInfo.InvariantCulture);
    }

    internal static string VersionETag(int versionId) => Domain.Fhir.VersionETag.Format(versionId);

    /// <summary>If-None-Match naming the current version, or If-Modified-Since not before it: the client's copy is current.</summary>
    private static bool NotModified(HttpRequest request, StoredResource current)
    {
        if (request.Headers.IfNoneMatch.Count > 0)
        {
            return request.Headers.IfNoneMatch.ToString().Split(',').Any(tag => tag.Trim() == "*" || Domain.Fhir.VersionETag.Parse(tag) == current.VersionId);
        }

        var since = request.GetTypedHeaders().IfModifiedSince;
        return since is { } s && current.LastUpdated.AddTicks(-(current.LastUpdated.Ticks % TimeSpan.TicksPerSecond)) <= s;
    }

    private static IResult NotModifiedAnswer(HttpContext http, StoredResource current)
    {
        SetVersionHeaders(http, current);
        return Results.StatusCode(StatusCodes.Status304NotModified);
    }

    private static bool TryIfMatch(HttpContext http, out int? version, out IResult refusal)
    {
        version = null;
        refusal = Results.Empty;
        if (http.Request.Headers.IfMatch.Count == 0)
        {
            return true;
        }

        version = Domain.Fhir.VersionETag.Parse(http.Request.Headers.IfMatch.ToString());
        if (version is null)
        {
            refusal = Outcome(OperationOutcome.IssueType.Invalid, "If-Match must be a version ETag such as W/\"3\".", StatusCodes.Status400BadRequest);
            return false;
        }

        return true;
    }

    private static IResult TooLarge() =>
        Outcome(OperationOutcome.IssueType.TooLong, $"The body exceeds {MaxBodyBytes} bytes.", StatusCodes.Status413PayloadTooLarge);

    internal static IResult Outcome(OperationOutcome.IssueType code, string message, int status) => FhirJson.Outcome(code, message, status);
}
