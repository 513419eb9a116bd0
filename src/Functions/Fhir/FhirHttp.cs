using System.Globalization;
using System.Text;
using Enclave.Domain.Audit;
using Enclave.Domain.Fhir;
using Enclave.Functions.Invocation;
using Hl7.Fhir.Model;
using Microsoft.Net.Http.Headers;

namespace Enclave.Functions.Fhir;

/// <summary>
/// What the FHIR functions share: reading a body strictly (JSON or XML), the negotiated answer format, writing a
/// repository result with its version headers (<c>ETag: W/"n"</c>, <c>Location</c>, <c>Prefer</c>), and the checks
/// of types, ids and <c>If-Match</c>.
/// </summary>
internal static class FhirHttp
{
    /// <summary>The largest body accepted: a Cosmos document holds at most 2 MB.</summary>
    public const int MaxBodyBytes = 2 * 1024 * 1024;

    /// <summary>The FHIR base path every FHIR route lives under.</summary>
    public const string FhirBase = "/api/fhir/R4";

    private const string Base = FhirBase;

    /// <summary>404 unless <paramref name="type"/> is exactly a FHIR R4 resource type name (case-sensitive).</summary>
    internal static IResult? UnknownType(string type) =>
        ResourceTypes.IsKnown(type)
            ? null
            : ErrorMap.Answer(ErrorKind.UnknownType, $"{type} is not a FHIR R4 resource type.");

    /// <summary>For writes: <see cref="UnknownType"/>, and 405 for the AuditEvents the server alone appends.</summary>
    internal static IResult? UnwritableType(string type) =>
        UnknownType(type) ?? (type == AuditEvents.ResourceType
            ? ErrorMap.Answer(ErrorKind.MethodNotAllowed, AuditEvents.AppendOnly.Outcome!.Issue[0].Diagnostics!)
            : null);

    /// <summary>For reads: 404 when <paramref name="id"/> is not a FHIR id (no resource can have it).</summary>
    internal static IResult? UnknownId(string type, string id) =>
        FhirId.IsValid(id) ? null : ErrorMap.Answer(ErrorKind.NotFound, $"{type}/{id} is not known: '{id}' is not a FHIR id.");

    /// <summary>For writes: 400 when <paramref name="id"/> is not a FHIR id.</summary>
    internal static IResult? InvalidId(string id) =>
        FhirId.IsValid(id) ? null : ErrorMap.Answer(ErrorKind.Invalid, $"'{id}' is not a FHIR id (1 to {FhirId.MaxLength} letters, digits, '-' and '.').");

    /// <summary>Reads and strictly parses a resource body of <paramref name="type"/>: 415, 413 and 400 answers for what cannot be one.</summary>
    internal static async Task<(Resource? Resource, IResult? Refusal)> ReadResourceAsync(HttpContext http, string? type)
    {
        if (type is not null && UnwritableType(type) is { } unknown)
        {
            return (null, unknown);
        }

        var mediaType = MediaTypeHeaderValue.TryParse(http.Request.ContentType, out var parsed) ? parsed.MediaType.Value : null;
        var xml = mediaType is "application/fhir+xml" or "application/xml" or "text/xml";
        if (!xml && mediaType is not ("application/fhir+json" or "application/json"))
        {
            return (null, ErrorMap.Answer(ErrorKind.UnsupportedMedia, "Send application/fhir+json or application/fhir+xml."));
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
            : (null, ErrorMap.Answer(ErrorKind.Invalid, $"The body is a {resource.TypeName}, the address says {type}."));
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
        if (result.Resource is { } concerned)
        {
            http.RequestServices.GetService<InteractionAudit>()?.Concerns(concerned); // the version the answer is about, e.g. a create's new id
        }

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

            return FhirJson.Write(stored.Utf8Json, format, result.Status);
        }

        return result.Outcome is { } outcome
            ? FhirJson.Write(outcome, format, result.Status)
            : Results.StatusCode(result.Status);
    }

    /// <summary>The FHIR base URL of this request, e.g. <c>https://host/api/fhir/R4</c>.</summary>
    internal static string BaseUrl(HttpContext http) => $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}{Base}";

    internal static void SetVersionHeaders(HttpContext http, StoredResource stored)
    {
        http.Response.Headers.ETag = VersionETag(stored.VersionId);
        http.Response.Headers.LastModified = stored.LastUpdated.ToString("R", CultureInfo.InvariantCulture);
    }

    internal static string VersionETag(int versionId) => Domain.Fhir.VersionETag.Format(versionId);

    /// <summary>If-None-Match naming the current version, or If-Modified-Since not before it: the client's copy is current.</summary>
    internal static bool NotModified(HttpRequest request, StoredResource current)
    {
        if (request.Headers.IfNoneMatch.Count > 0)
        {
            return request.Headers.IfNoneMatch.ToString().Split(',').Any(tag => tag.Trim() == "*" || Domain.Fhir.VersionETag.Parse(tag) == current.VersionId);
        }

        var since = request.GetTypedHeaders().IfModifiedSince;
        return since is { } s && current.LastUpdated.AddTicks(-(current.LastUpdated.Ticks % TimeSpan.TicksPerSecond)) <= s;
    }

    internal static IResult NotModifiedAnswer(HttpContext http, StoredResource current)
    {
        SetVersionHeaders(http, current);
        return Results.StatusCode(StatusCodes.Status304NotModified);
    }

    internal static bool TryIfMatch(HttpContext http, out int? version, out IResult refusal)
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
            refusal = ErrorMap.Answer(ErrorKind.Invalid, "If-Match must be a version ETag such as W/\"3\".");
            return false;
        }

        return true;
    }

    private static IResult TooLarge() =>
        ErrorMap.Answer(ErrorKind.TooLarge, $"The body exceeds {MaxBodyBytes} bytes.");
}
