using System.Globalization;
using Enclave.Domain.Audit;
using Enclave.Domain.Fhir;
using Enclave.Domain.Search;
using Enclave.Functions.Auth;
using Enclave.Functions.Fhir;
using Enclave.Functions.Invocation;
using Hl7.Fhir.Model;
using Microsoft.Azure.Functions.Worker;

namespace Enclave.Functions.Audit;

/// <summary>
/// The project's audit trail, for its admins: <c>GET /api/fhir/R4/AuditEvent?…</c> (search on the AuditEvent
/// parameters, newest first by default), <c>GET …/AuditEvent/{id}</c>, and <c>GET …/AuditEvent/$verify?from=&amp;to=</c>,
/// which seals what is waiting, recomputes the hash chain and names the first broken link. AuditEvents are never
/// written through the API: the FHIR write interactions answer 405 for them.
/// </summary>
public sealed class AuditFunctions(IAuditTrail trail, PageToken pages)
{
    private const string Route = "fhir/R4/AuditEvent";

    /// <summary><c>GET fhir/R4/AuditEvent?…</c>: a searchset of the project's audit records.</summary>
    [Function("AuditSearch")]
    [Audited("search-type", "E")]
    [Requires(CallerRole.ProjectAdmin, "Only project admins read the audit trail.")]
    [NegotiatesFhirFormat]
    public async Task<IResult> SearchAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Route)] HttpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var http = request.HttpContext;
        var pairs = request.Query.SelectMany(p => p.Value.Select(v => new KeyValuePair<string, string>(p.Key, v ?? string.Empty))).ToList();
        var strict = request.Headers["Prefer"].ToString().Contains("handling=strict", StringComparison.OrdinalIgnoreCase);
        var (parsed, refusal) = SearchParser.Parse(AuditEvents.ResourceType, pairs.Where(p => p.Key != "_page"), strict);
        if (refusal is not null)
        {
            return FhirJson.Write(refusal, FhirHttp.Format(http), StatusCodes.Status400BadRequest);
        }

        if (parsed!.Includes.Count > 0 || parsed.RevIncludes.Count > 0 || parsed.Criteria.Any(c => c.Chain is not null || c.Code == "_has"))
        {
            return ErrorMap.Answer(ErrorKind.Invalid, "AuditEvent searches take the AuditEvent parameters only: no chains, _has or includes.");
        }

        var binding = PageToken.Binding(http.Caller(), AuditEvents.ResourceType, pairs);
        var pageToken = pairs.FirstOrDefault(p => p.Key == "_page").Value;
        var page = pageToken is { Length: > 0 } ? pages.Decode(pageToken, binding) : null;
        if (pageToken is { Length: > 0 } && page is null)
        {
            return ErrorMap.Answer(ErrorKind.Invalid, "The _page token is not valid.");
        }

        var self = $"{FhirHttp.BaseUrl(http)}/{AuditEvents.ResourceType}";
        var query = string.Join('&', pairs.Where(p => p.Key != "_page").Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value)}"));
        var bundle = new BundleJson("searchset").Link("self", query.Length > 0 ? $"{self}?{query}" : self);
        if (parsed.Count > 0)
        {
            var ordered = parsed.Sort.Count > 0 ? parsed : parsed with { Sort = [new Domain.Search.SortKey("date", Descending: true)] };
            var (events, next) = await trail.For(http.Caller().ProjectId).SearchAsync(ordered, page, cancellationToken);
            foreach (var found in events)
            {
                bundle.Entry($"{self}/{found.Id}", found.Utf8Json);
            }

            if (next is not null)
            {
                bundle.Link("next", $"{self}?{(query.Length > 0 ? query + "&" : string.Empty)}_page={pages.Encode(next, binding)}");
            }
        }

        return FhirJson.Write(bundle.ToUtf8(), FhirHttp.Format(http));
    }

    /// <summary><c>GET fhir/R4/AuditEvent/{id}</c>.</summary>
    [Function("AuditRead")]
    [Audited("read", "R")]
    [Requires(CallerRole.ProjectAdmin, "Only project admins read the audit trail.")]
    [NegotiatesFhirFormat]
    public async Task<IResult> ReadAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Route + "/{id}")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var http = request.HttpContext;
        return FhirId.IsValid(id) && await trail.For(http.Caller().ProjectId).ReadAsync(id, cancellationToken) is { } found
            ? FhirHttp.Answer(http, new FhirRepository.Result(StatusCodes.Status200OK, found))
            : ErrorMap.Answer(ErrorKind.NotFound, $"AuditEvent/{id} is not known.");
    }

    /// <summary>
    /// <c>GET fhir/R4/AuditEvent/$verify?from=&amp;to=</c>: a Parameters resource with <c>result</c> (whether the chain is
    /// intact), <c>checked</c> (records checked), <c>lastGood</c>, and for a broken chain <c>brokenAt</c> (the first record
    /// that does not link or hash) and <c>problem</c>. Without <c>to</c> the walk ends at the trail's head, so records
    /// missing at the end are found too.
    /// </summary>
    [Function("AuditVerify")]
    [Audited("operation", "E")]
    [Requires(CallerRole.ProjectAdmin, "Only project admins read the audit trail.")]
    [NegotiatesFhirFormat]
    public async Task<IResult> VerifyAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Route + "/$verify")] HttpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var http = request.HttpContext;
        DateTimeOffset? since = null, until = null;
        foreach (var (name, value) in request.Query.Where(p => !p.Key.StartsWith('_')))
        {
            if (name is not ("from" or "to") || value.Count != 1 || !DateTimeOffset.TryParse(value[0], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
            {
                return ErrorMap.Answer(ErrorKind.Invalid, "$verify takes at most one 'from' and one 'to', each a dateTime such as 2026-12-01T00:00:00Z.");
            }

            if (name == "from")
            {
                since = at;
            }
            else
            {
                until = at;
            }
        }

        var project = trail.For(http.Caller().ProjectId);
        await project.SealAsync(cancellationToken);
        var head = await project.HeadAsync(cancellationToken);
        var verification = await AuditChain.VerifyAsync(project.ChainAsync(since, until, cancellationToken), head, toEnd: until is null, cancellationToken);
        var result = new Parameters();
        result.Add("result", new FhirBoolean(verification.Intact));
        result.Add("checked", new Integer(verification.Checked));
        if (verification.LastGood is { } lastGood)
        {
            result.Add("lastGood", new Integer64(lastGood));
        }

        if (verification.Broken is { } broken)
        {
            result.Add("brokenAt", new ResourceReference($"{AuditEvents.ResourceType}/{broken.Id}"));
            result.Add("problem", new FhirString(verification.Problem));
        }

        if (head is not null)
        {
            result.Add("head", new Integer64(head.Sequence));
        }

        return FhirJson.Write(result, FhirHttp.Format(http));
    }
}
