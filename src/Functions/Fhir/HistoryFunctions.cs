using System.Globalization;
using Enclave.Domain.Fhir;
using Enclave.Domain.Search;
using Enclave.Functions.Audit;
using Enclave.Functions.Auth;
using Enclave.Functions.Invocation;
using Microsoft.Azure.Functions.Worker;

namespace Enclave.Functions.Fhir;

/// <summary>
/// <c>_history</c> for an instance, a type and the whole project: a <c>history</c> Bundle, newest first, with
/// <c>_count</c> (default 50, at most 1000), <c>_since</c> and <c>_at</c> (versions current at some moment of that date's range), and a <c>next</c> link while more remain.
/// </summary>
public sealed class HistoryFunctions(FhirRepository repository, PageToken pages)
{
    private const int DefaultCount = 50;
    /// <summary><c>GET fhir/R4/_history</c>: the whole project's.</summary>
    [Function("FhirSystemHistory")]
    [Audited("history-system", "R")]
    [NegotiatesFhirFormat]
    public Task<IResult> SystemHistoryAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "fhir/R4/_history")] HttpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return HistoryAsync(request.HttpContext, null, null, cancellationToken);
    }

    /// <summary><c>GET fhir/R4/{type}/_history</c>.</summary>
    [Function("FhirTypeHistory")]
    [Audited("history-type", "R")]
    [NegotiatesFhirFormat]
    public Task<IResult> TypeHistoryAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "fhir/R4/{type}/_history")] HttpRequest request, string type,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return HistoryAsync(request.HttpContext, type, null, cancellationToken);
    }

    /// <summary><c>GET fhir/R4/{type}/{id}/_history</c>.</summary>
    [Function("FhirInstanceHistory")]
    [Audited("history-instance", "R")]
    [NegotiatesFhirFormat]
    public Task<IResult> InstanceHistoryAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "fhir/R4/{type}/{id}/_history")] HttpRequest request, string type, string id,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return HistoryAsync(request.HttpContext, type, id, cancellationToken);
    }

    private async Task<IResult> HistoryAsync(HttpContext http, string? type, string? id, CancellationToken cancellationToken)
    {
        if (((type is null ? null : FhirHttp.UnknownType(type)) ?? (id is null ? null : FhirHttp.UnknownId(type!, id))) is { } unknown)
        {
            return unknown;
        }

        var query = http.Request.Query;
        var count = DefaultCount;
        if (query.ContainsKey("_count") && (!int.TryParse(query["_count"], NumberStyles.None, CultureInfo.InvariantCulture, out count) || count < 1))
        {
            return Invalid("_count must be a positive integer.");
        }

        DateTimeOffset? since = null;
        if (query.ContainsKey("_since"))
        {
            if (!DateTimeOffset.TryParse(query["_since"], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            {
                return Invalid("_since must be a FHIR instant, e.g. 2026-01-31T12:00:00Z.");
            }

            since = parsed;
        }

        DateRange? at = null;
        if (query.ContainsKey("_at"))
        {
            if (!DateRange.TryParse(query["_at"], out var range))
            {
                return Invalid("_at must be a FHIR date, dateTime or instant, e.g. 2026-01-31.");
            }

            at = range;
        }

        // The next link carries exactly these parameters, so a page token is bound to them and to the project.
        var nextParameters = new List<KeyValuePair<string, string>> { new("_count", count.ToString(CultureInfo.InvariantCulture)) };
        if (query.ContainsKey("_since"))
        {
            nextParameters.Add(new("_since", query["_since"].ToString()));
        }

        if (query.ContainsKey("_at"))
        {
            nextParameters.Add(new("_at", query["_at"].ToString()));
        }

        var binding = PageToken.Binding(http.Caller(), http.Request.Path, nextParameters);
        var page = query["_page"].ToString() is { Length: > 0 } token ? pages.Decode(token, binding) : null;
        if (query.ContainsKey("_page") && page is null)
        {
            return Invalid("The _page token is not valid.");
        }

        var (versions, next, refusal) = await repository.HistoryAsync(type, id, since, at, count, page, cancellationToken);
        if (refusal is not null)
        {
            return FhirJson.Write(refusal, FhirHttp.Format(http), StatusCodes.Status403Forbidden);
        }

        if (id is not null && versions.Count == 0 && page is null && since is null && at is null)
        {
            return ErrorMap.Answer(ErrorKind.NotFound, $"{type}/{id} is not known.");
        }

        var self = $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}{http.Request.Path}";
        var bundle = new BundleJson("history").Link("self", $"{self}{http.Request.QueryString}");
        if (next is not null)
        {
            var nextQuery = string.Join('&', nextParameters.Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value)}"));
            bundle.Link("next", $"{self}?{nextQuery}&_page={pages.Encode(next, binding)}");
        }

        var baseUrl = FhirHttp.BaseUrl(http);
        foreach (var version in versions)
        {
            bundle.Entry($"{baseUrl}/{version.Reference}", version.Deleted ? ReadOnlyMemory<byte>.Empty : version.Utf8Json, writer =>
            {
                writer.WriteStartObject("request");
                writer.WriteString("method", version.Deleted ? "DELETE" : version.VersionId == 1 ? "POST" : "PUT");
                writer.WriteString("url", version.VersionId == 1 && !version.Deleted ? version.ResourceType : version.Reference);
                writer.WriteEndObject();
                writer.WriteStartObject("response");
                writer.WriteString("status", version.Deleted ? "204" : version.VersionId == 1 ? "201" : "200");
                writer.WriteString("etag", FhirHttp.VersionETag(version.VersionId));
                writer.WriteString("lastModified", version.LastUpdated.ToString("o", CultureInfo.InvariantCulture));
                writer.WriteEndObject();
            });
        }

        return FhirJson.Write(bundle.ToUtf8(), FhirHttp.Format(http));
    }

    private static IResult Invalid(string message) =>
        ErrorMap.Answer(ErrorKind.Invalid, message);
}
