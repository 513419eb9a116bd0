using Enclave.Domain.Audit;
using Enclave.Domain.Fhir;
using Enclave.Domain.Search;
using Enclave.Functions.Audit;
using Enclave.Functions.Auth;
using Enclave.Functions.Edge;
using Enclave.Functions.Invocation;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Primitives;

namespace Enclave.Functions.Fhir;

/// <summary>
/// Search: <c>GET /api/fhir/R4/{type}?…</c>, <c>POST …/{type}/_search</c> with a form body, and across types
/// <c>GET /api/fhir/R4?_type=…&amp;…</c> (common parameters only). Answers a
/// <c>searchset</c> Bundle of current resources in the caller's project, newest first, with <c>self</c> and
/// <c>next</c> links. Unsupported parameters are ignored and reported in an OperationOutcome entry, or refused
/// with <c>Prefer: handling=strict</c>.
/// </summary>
public sealed class SearchFunctions(FhirRepository repository, PageToken pages)
{
    /// <summary><c>GET fhir/R4/{type}?…</c>.</summary>
    [Function("FhirSearch")]
    [Audited("search-type", "E")]
    [NegotiatesFhirFormat]
    public Task<IResult> SearchTypeAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "fhir/R4/{type}")] HttpRequest request, string type, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return SearchAsync(request.HttpContext, type, request.Query, cancellationToken);
    }

    /// <summary><c>GET fhir/R4?_type=…</c>: across types, common parameters only.</summary>
    [Function("FhirSystemSearch")]
    [Audited("search-system", "E")]
    [NegotiatesFhirFormat]
    public Task<IResult> SearchSystemAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "fhir/R4")] HttpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return SearchAsync(request.HttpContext, string.Empty, request.Query, cancellationToken);
    }

    /// <summary><c>POST fhir/R4/{type}/_search</c> with a form body.</summary>
    [Function("FhirSearchPost")]
    [Audited("search-type", "E")]
    [NegotiatesFhirFormat]
    public async Task<IResult> SearchPostAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "fhir/R4/{type}/_search")] HttpRequest request, string type,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!request.HasFormContentType)
        {
            return ErrorMap.Answer(ErrorKind.UnsupportedMedia, "_search takes application/x-www-form-urlencoded.");
        }

        var (form, error) = await RequestForm.ReadAsync(request);
        return form is null
            ? ErrorMap.Answer(ErrorKind.Invalid, error!)
            : await SearchAsync(request.HttpContext, type, request.Query.Concat(form), cancellationToken);
    }

    private async Task<IResult> SearchAsync(HttpContext http, string type, IEnumerable<KeyValuePair<string, StringValues>> parameters,
        CancellationToken cancellationToken)
    {
        if (type.Length > 0 && FhirHttp.UnknownType(type) is { } unknown)
        {
            return unknown;
        }

        var pairs = parameters.SelectMany(p => p.Value.Select(v => new KeyValuePair<string, string>(p.Key, v ?? string.Empty))).ToList();
        http.RequestServices.GetService<InteractionAudit>()?.Searched(type.Length > 0 ? type : null, pairs); // a POST's form included
        var searched = LocalReferences(type, pairs, FhirHttp.BaseUrl(http) + "/");
        var strict = http.Request.Headers["Prefer"].ToString().Contains("handling=strict", StringComparison.OrdinalIgnoreCase);
        var (request, refusal) = SearchParser.Parse(type, searched.Where(p => p.Key != "_page"), strict);
        if (refusal is not null)
        {
            return FhirJson.Write(refusal, FhirHttp.Format(http), StatusCodes.Status400BadRequest);
        }

        var binding = PageToken.Binding(http.Caller(), type, pairs);
        var pageToken = pairs.FirstOrDefault(p => p.Key == "_page").Value;
        var page = pageToken is { Length: > 0 } ? pages.Decode(pageToken, binding) : null;
        if (pageToken is { Length: > 0 } && page is null)
        {
            return ErrorMap.Answer(ErrorKind.Invalid, "The _page token is not valid.");
        }

        var format = FhirHttp.Format(http);
        var countOnly = format.Summary == SummaryType.Count || request!.Count == 0;
        var self = type.Length > 0 ? $"{FhirHttp.BaseUrl(http)}/{type}" : FhirHttp.BaseUrl(http);
        // The self link holds the parameters the search used: the ignored ones are reported in the outcome entry instead.
        var selfQuery = string.Join('&', pairs.Where(p => !request!.Ignored.Contains(p.Key)).Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value)}"));
        var bundle = new BundleJson("searchset").Link("self", selfQuery.Length > 0 ? $"{self}?{selfQuery}" : self);
        if (countOnly || pairs.Any(p => p.Key == "_total" && p.Value is "accurate" or "estimate"))
        {
            var (total, unresolvable) = await repository.CountAsync(request!, cancellationToken, includeLinked: true);
            if (unresolvable is not null)
            {
                return FhirJson.Write(unresolvable, format, Status(unresolvable));
            }

            bundle.Total = total;
        }

        if (!countOnly)
        {
            var (found, unresolvable) = await repository.SearchAsync(request!, page, cancellationToken, includeLinked: true);
            if (unresolvable is not null)
            {
                return FhirJson.Write(unresolvable, format, Status(unresolvable));
            }

            var baseUrl = FhirHttp.BaseUrl(http);
            foreach (var (resource, mode) in found!.Matches.Select(r => (r, "match")).Concat(found.Included.Select(r => (r, "include"))))
            {
                bundle.Entry($"{baseUrl}/{resource.ResourceType}/{resource.Id}", resource.Utf8Json, SearchMode(mode));
            }

            var next = found.Next;
            if (next is not null)
            {
                var nextQuery = string.Join('&', pairs.Where(p => p.Key != "_page").Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value)}")
                    .Append($"_page={pages.Encode(next, binding)}"));
                bundle.Link("next", $"{self}?{nextQuery}");
            }
        }

        if (request!.Ignored.Count > 0)
        {
            var outcome = new OperationOutcome
            {
                Issue = [.. request.Ignored.Select(name => new OperationOutcome.IssueComponent
                {
                    Severity = OperationOutcome.IssueSeverity.Warning,
                    Code = OperationOutcome.IssueType.NotSupported,
                    Diagnostics = $"The search parameter '{name}' is not supported and was ignored.",
                    Expression = [name],
                })],
            };
            bundle.Entry(null, System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(outcome, FhirJson.Options), SearchMode("outcome"));
        }

        return FhirJson.Write(bundle.ToUtf8(), format);
    }

    /// <summary>
    /// A reference value that is an absolute URL of this server (<c>https://host/api/fhir/R4/Patient/1</c>) means the
    /// relative reference <c>Patient/1</c>; absolute URLs of other servers stay as they are.
    /// </summary>
    private static List<KeyValuePair<string, string>> LocalReferences(string type, List<KeyValuePair<string, string>> pairs, string baseUrl) =>
        [.. pairs.Select(p => SearchParameters.For(type).TryGetValue(p.Key.Split(':', '.')[0], out var parameter) && parameter.Type == SearchParamType.Reference
            ? new KeyValuePair<string, string>(p.Key, string.Join(',', p.Value.Split(',').Select(v => v.StartsWith(baseUrl, StringComparison.Ordinal) ? v[baseUrl.Length..] : v)))
            : p)];

    /// <summary>403 for what the caller's access policy forbids, 400 for a search that cannot run.</summary>
    private static int Status(OperationOutcome refusal) =>
        refusal.Issue[0].Code == OperationOutcome.IssueType.Forbidden ? StatusCodes.Status403Forbidden : StatusCodes.Status400BadRequest;

    private static Action<System.Text.Json.Utf8JsonWriter> SearchMode(string mode) => writer =>
    {
        writer.WriteStartObject("search");
        writer.WriteString("mode", mode);
        writer.WriteEndObject();
    };
}
