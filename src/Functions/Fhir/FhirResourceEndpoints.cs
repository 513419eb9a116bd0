using System.Globalization;
using System.Text;
using Enclave.Domain.Fhir;
using Enclave.Functions.Auth;
using Hl7.Fhir.Model;
using Microsoft.Net.Http.Headers;

namespace Enclave.Functions.Fhir;

/// <summary>
/// The FHIR REST interactions on resources: create, read, vread, update and delete, in the caller's project.
/// Bodies are parsed strictly; versions travel as <c>ETag: W/"n"</c> and <c>If-Match</c>.
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
            var (resource, refusal) = await ReadBodyAsync(http, type);
            if (refusal is not null)
            {
                return refusal;
            }

            var result = await Repository(http, store, time).CreateAsync(resource!, http.RequestAborted);
            return Answer(http, result);
        });

        endpoints.MapGet($"{Base}/{{type}}/{{id}}", async (string type, string id, HttpContext http, IResourceStore store, TimeProvider time) =>
        {
            if (UnknownType(type) is { } unknown)
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
            if (UnknownType(type) is { } unknown)
            {
                return unknown;
            }

            return int.TryParse(vid, NumberStyles.None, CultureInfo.InvariantCulture, out var version) && version > 0
                ? Answer(http, await Repository(http, store, time).VersionReadAsync(type, id, version, http.RequestAborted))
                : Outcome(OperationOutcome.IssueType.NotFound, $"{type}/{id}/_history/{vid} is not known.", StatusCodes.Status404NotFound);
        });

        endpoints.MapPut($"{Base}/{{type}}/{{id}}", async (string type, string id, HttpContext http, IResourceStore store, TimeProvider time) =>
        {
            var (resource, refusal) = await ReadBodyAsync(http, type);
            if (refusal is not null)
            {
                return refusal;
            }

            if (resource!.Id != id)
            {
                return Outcome(OperationOutcome.IssueType.Invalid, $"The body's id ({resource.Id ?? "none"}) must be the id in the address ({id}).", StatusCodes.Status400BadRequest);
            }

            int? ifMatch = null;
            if (http.Request.Headers.IfMatch.Count > 0)
            {
                if (ParseVersionETag(http.Request.Headers.IfMatch.ToString()) is not { } version)
                {
                    return Outcome(OperationOutcome.IssueType.Invalid, "If-Match must be a version ETag such as W/\"3\".", StatusCodes.Status400BadRequest);
                }

                ifMatch = version;
            }

            return Answer(http, await Repository(http, store, time).UpdateAsync(resource, ifMatch, http.RequestAborted));
        });

        endpoints.MapPatch($"{Base}/{{type}}/{{id}}", async (string type, string id, HttpContext http, IResourceStore store, TimeProvider time) =>
        {
            if (UnknownType(type) is { } unknown)
            {
                return unknown;
            }

            var mediaType = MediaTypeHeaderValue.TryParse(http.Request.ContentType, out var parsed) ? parsed.MediaType.Value : null;
            if (mediaType != "application/json-patch+json")
            {
                return Outcome(OperationOutcome.IssueType.NotSupported, "PATCH takes application/json-patch+json (FHIRPath Patch is not supported yet).", StatusCodes.Status415UnsupportedMediaType);
            }

            var (patch, tooLarge) = await ReadTextAsync(http);
            if (tooLarge is not null)
            {
                return tooLarge;
            }

            int? ifMatch = http.Request.Headers.IfMatch.Count > 0 ? ParseVersionETag(http.Request.Headers.IfMatch.ToString()) : null;
            if (http.Request.Headers.IfMatch.Count > 0 && ifMatch is null)
            {
                return Outcome(OperationOutcome.IssueType.Invalid, "If-Match must be a version ETag such as W/\"3\".", StatusCodes.Status400BadRequest);
            }

            var result = await Repository(http, store, time).PatchAsync(type, id, json =>
            {
                if (!JsonPatch.TryApply(System.Text.Json.Nodes.JsonNode.Parse(json)!, patch!, out var patched, out var error))
                {
                    return (null, FhirErrors.Outcome(OperationOutcome.IssueType.Invalid, error));
                }

                return ResourceParser.TryParse(patched!.ToJsonString(), out var resource, out var outcome) ? (resource, null) : (null, outcome);
            }, ifMatch, http.RequestAborted);
            return Answer(http, result);
        });

        endpoints.MapDelete($"{Base}/{{type}}/{{id}}", async (string type, string id, HttpContext http, IResourceStore store, TimeProvider time) =>
            UnknownType(type) ?? Answer(http, await Repository(http, store, time).DeleteAsync(type, id, http.RequestAborted)));
    }

    /// <summary>The repository of the caller's project: the only way to the store.</summary>
    private static FhirRepository Repository(HttpContext http, IResourceStore store, TimeProvider time) => new(http.Caller().ProjectId, store, time);

    private static IResult? UnknownType(string type) =>
        ModelInfo.IsKnownResource(type)
            ? null
            : Outcome(OperationOutcome.IssueType.NotSupported, $"{type} is not a FHIR R4 resource type.", StatusCodes.Status404NotFound);

    /// <summary>Reads and strictly parses the body: 415, 413 and 400 answers for what cannot be a resource of this type.</summary>
    private static async Task<(Resource? Resource, IResult? Refusal)> ReadBodyAsync(HttpContext http, string type)
    {
        if (UnknownType(type) is { } unknown)
        {
            return (null, unknown);
        }

        var mediaType = MediaTypeHeaderValue.TryParse(http.Request.ContentType, out var parsed) ? parsed.MediaType.Value : null;
        if (mediaType is not ("application/fhir+json" or "application/json"))
        {
            return (null, Outcome(OperationOutcome.IssueType.NotSupported, "Send application/fhir+json.", StatusCodes.Status415UnsupportedMediaType));
        }

        var (text, tooLarge) = await ReadTextAsync(http);
        if (tooLarge is not null)
        {
            return (null, tooLarge);
        }

        if (!ResourceParser.TryParse(text!, out var resource, out var outcome))
        {
            return (null, Results.Json(outcome, FhirJson.Options, FhirJson.ContentType, StatusCodes.Status400BadRequest));
        }

        return resource!.TypeName == type
            ? (resource, null)
            : (null, Outcome(OperationOutcome.IssueType.Invalid, $"The body is a {resource.TypeName}, the address says {type}.", StatusCodes.Status400BadRequest));
    }

    /// <summary>The body as text, or 413 when it exceeds <see cref="MaxBodyBytes"/>.</summary>
    private static async Task<(string? Text, IResult? TooLarge)> ReadTextAsync(HttpContext http)
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

    /// <summary>
    /// Writes a repository result: the resource with its version headers (a write honours
    /// <c>Prefer: return=minimal|representation|OperationOutcome</c>), or the outcome.
    /// </summary>
    private static IResult Answer(HttpContext http, FhirRepository.Result result)
    {
        if (result.Status < StatusCodes.Status300MultipleChoices && result.Resource is { } stored && !stored.Deleted)
        {
            SetVersionHeaders(http, stored);
            if (result.Status == StatusCodes.Status201Created)
            {
                http.Response.Headers.Location = $"{http.Request.Scheme}://{http.Request.Host}{Base}/{stored.ResourceType}/{stored.Id}/_history/{stored.VersionId.ToString(CultureInfo.InvariantCulture)}";
            }

            var isWrite = HttpMethods.IsPost(http.Request.Method) || HttpMethods.IsPut(http.Request.Method) || HttpMethods.IsPatch(http.Request.Method);
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
                        Diagnostics = $"{stored.ResourceType}/{stored.Id} is at version {stored.VersionId.ToString(CultureInfo.InvariantCulture)}." }],
                };
                return Results.Json(written, FhirJson.Options, FhirJson.ContentType, result.Status);
            }

            return Results.Text(stored.Json, FhirJson.ContentType, Encoding.UTF8, result.Status);
        }

        return result.Outcome is { } outcome
            ? Results.Json(outcome, FhirJson.Options, FhirJson.ContentType, result.Status)
            : Results.StatusCode(result.Status);
    }

    private static void SetVersionHeaders(HttpContext http, StoredResource stored)
    {
        http.Response.Headers.ETag = $"W/\"{stored.VersionId.ToString(CultureInfo.InvariantCulture)}\"";
        http.Response.Headers.LastModified = stored.LastUpdated.ToString("R", CultureInfo.InvariantCulture);
    }

    /// <summary>If-None-Match naming the current version, or If-Modified-Since not before it: the client's copy is current.</summary>
    private static bool NotModified(HttpRequest request, StoredResource current)
    {
        if (request.Headers.IfNoneMatch.Count > 0)
        {
            return request.Headers.IfNoneMatch.ToString().Split(',').Any(tag => tag.Trim() == "*" || ParseVersionETag(tag) == current.VersionId);
        }

        var since = request.GetTypedHeaders().IfModifiedSince;
        return since is { } s && current.LastUpdated.AddTicks(-(current.LastUpdated.Ticks % TimeSpan.TicksPerSecond)) <= s;
    }

    private static IResult NotModifiedAnswer(HttpContext http, StoredResource current)
    {
        SetVersionHeaders(http, current);
        return Results.StatusCode(StatusCodes.Status304NotModified);
    }

    private static int? ParseVersionETag(string value)
    {
        var text = value.Trim();
        if (text.StartsWith("W/", StringComparison.Ordinal))
        {
            text = text[2..];
        }

        text = text.Trim('"');
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var version) ? version : null;
    }

    private static IResult TooLarge() =>
        Outcome(OperationOutcome.IssueType.TooLong, $"The body exceeds {MaxBodyBytes} bytes.", StatusCodes.Status413PayloadTooLarge);

    private static IResult Outcome(OperationOutcome.IssueType code, string message, int status) => FhirJson.Outcome(code, message, status);
}
