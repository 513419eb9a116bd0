using System.Globalization;
using Enclave.Domain.Audit;
using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;

namespace Enclave.Domain.Fhir;

/// <summary>
/// <c>POST /</c> with a <c>batch</c> or <c>transaction</c> Bundle. Batch entries run one by one, each with its own
/// outcome. A transaction is all or nothing: ids are assigned, <c>urn:uuid</c> and conditional references
/// (<c>Patient?identifier=…</c>) resolved, <c>If-None-Exist</c> and conditional updates decided, every reference
/// checked, and then every write (and the guards of its conditional creates) is committed as one atomic write in the
/// project's partition. If anything moved meanwhile, the whole transaction is worked out again. Everything a
/// transaction could be refused for is found before that commit; its reads (GET entries) run after it and only
/// answer for themselves. Entry URLs, ids, <c>ifMatch</c> and <c>fullUrl</c>s (unique) are checked like REST requests.
/// </summary>
public sealed partial class BundleProcessor(FhirRepository repository)
{
    /// <summary>The answer: a response Bundle, or a status and outcome for a refused transaction.</summary>
    public sealed record Answer(int Status, Bundle? Response, OperationOutcome? Outcome);

    /// <summary>The most entries a bundle may hold.</summary>
    public const int MaxEntries = 1000;

    /// <summary>What an entry's <c>request</c> asks for.</summary>
    private sealed record Request(Bundle.HTTPVerb Method, string Type, string? Id, int? Version, string? Criteria, Resource? Resource, Bundle.EntryComponent Entry)
    {
        /// <summary>The version <c>ifMatch</c> pins, parsed like REST's If-Match.</summary>
        public int? IfMatch { get; init; }
    }

    /// <summary>Processes <paramref name="bundle"/>; <paramref name="respond"/> turns an entry's result into its response entry.</summary>
    public async Task<Answer> ProcessAsync(Bundle bundle, Func<FhirRepository.Result, Bundle.EntryComponent> respond, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        ArgumentNullException.ThrowIfNull(respond);
        if (bundle.Type is not (Bundle.BundleType.Batch or Bundle.BundleType.Transaction))
        {
            return Refuse(400, "POST to the base takes a Bundle of type batch or transaction.");
        }

        if (bundle.Entry.Count > MaxEntries)
        {
            return Refuse(400, $"A bundle holds at most {MaxEntries} entries.", "Bundle.entry", OperationOutcome.IssueType.TooCostly);
        }

        var requests = new List<Request>();
        var fullUrls = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < bundle.Entry.Count; i++)
        {
            var (request, problem) = Parse(bundle.Entry[i], i);
            if (problem is null && bundle.Entry[i].FullUrl is { } fullUrl)
            {
                problem = !Uri.TryCreate(fullUrl, UriKind.Absolute, out _) ? $"Bundle.entry[{i}]: the fullUrl '{fullUrl}' is not an absolute URL."
                    : !fullUrls.Add(fullUrl) ? $"Bundle.entry[{i}]: the fullUrl '{fullUrl}' is the fullUrl of an earlier entry; fullUrls must be unique."
                    : null;
            }

            if (problem is not null && bundle.Type == Bundle.BundleType.Transaction)
            {
                return Refuse(400, problem, $"Bundle.entry[{i}]");
            }

            requests.Add(problem is null ? request! : new Request(Bundle.HTTPVerb.GET, string.Empty, null, null, problem, null, bundle.Entry[i]));
        }

        repository.Audit?.Is(AuditInteraction.Rest(bundle.Type == Bundle.BundleType.Batch ? "batch" : "transaction", "E"));
        return bundle.Type == Bundle.BundleType.Batch
            ? await BatchAsync(requests, respond, cancellationToken)
            : await TransactionAsync(requests, respond, cancellationToken);
    }

    private async Task<Answer> BatchAsync(List<Request> requests, Func<FhirRepository.Result, Bundle.EntryComponent> respond, CancellationToken cancellationToken)
    {
        var response = new Bundle { Type = Bundle.BundleType.BatchResponse };
        foreach (var request in requests)
        {
            // Each entry answers for itself: the repository answers (never throws) for input it refuses, a write too large included.
            // Each is an interaction of its own, with its own audit record (a write's in its commit).
            var audit = repository.Audit;
            audit?.BeginEntry(Interaction(request));
            if (request.Type.Length > 0 && request.Id is { } id)
            {
                audit?.Concerns($"{request.Type}/{id}");
            }

            var result = request.Type.Length == 0
                ? new FhirRepository.Result(400, null, FhirErrors.Outcome(OperationOutcome.IssueType.Invalid, request.Criteria!))
                : await ExecuteAsync(request, cancellationToken);
            if (result.Resource is { } touched)
            {
                audit?.Concerns(touched);
            }

            audit?.EndEntry(result.Status, result.Outcome?.Issue.FirstOrDefault()?.Code?.GetLiteral());
            response.Entry.Add(respond(result));
        }

        return new Answer(200, response, null);
    }

    /// <summary>The restful interaction an entry is, for its audit record.</summary>
    private static AuditInteraction Interaction(Request request) => request switch
    {
        { Method: Bundle.HTTPVerb.POST } => AuditInteraction.Rest("create", "C"),
        { Method: Bundle.HTTPVerb.PUT } => AuditInteraction.Rest("update", "U"),
        { Method: Bundle.HTTPVerb.PATCH } => AuditInteraction.Rest("patch", "U"),
        { Method: Bundle.HTTPVerb.DELETE } => AuditInteraction.Rest("delete", "D"),
        { Version: not null } => AuditInteraction.Rest("vread", "R"),
        { Id: not null } => AuditInteraction.Rest("read", "R"),
        _ => AuditInteraction.Rest("search-type", "E"),
    };

    private async Task<FhirRepository.Result> ExecuteAsync(Request request, CancellationToken cancellationToken)
    {
        var ifMatch = request.IfMatch;
        return request switch
        {
            { Method: Bundle.HTTPVerb.POST } => await repository.CreateAsync(request.Resource!, request.Entry.Request!.IfNoneExist, cancellationToken),
            { Method: Bundle.HTTPVerb.PUT, Criteria: { } criteria } => await repository.ConditionalUpdateAsync(request.Resource!, criteria, ifMatch, cancellationToken),
            { Method: Bundle.HTTPVerb.PUT } => await repository.UpdateAsync(request.Resource!, ifMatch, cancellationToken),
            { Method: Bundle.HTTPVerb.PATCH, Criteria: { } criteria } =>
                await repository.ConditionalPatchAsync(request.Type, criteria, FhirPathPatch.Applier((Parameters)request.Resource!), ifMatch, cancellationToken),
            { Method: Bundle.HTTPVerb.PATCH } => await repository.PatchAsync(request.Type, request.Id!, FhirPathPatch.Applier((Parameters)request.Resource!), ifMatch, cancellationToken),
            { Method: Bundle.HTTPVerb.DELETE, Criteria: { } criteria } => await repository.ConditionalDeleteAsync(request.Type, criteria, cancellationToken),
            { Method: Bundle.HTTPVerb.DELETE } => await repository.DeleteAsync(request.Type, request.Id!, cancellationToken),
            { Method: Bundle.HTTPVerb.GET, Version: { } version } => await repository.VersionReadAsync(request.Type, request.Id!, version, cancellationToken),
            { Method: Bundle.HTTPVerb.GET, Id: { } id } => await repository.ReadAsync(request.Type, id, cancellationToken),
            _ => new FhirRepository.Result(400, null, FhirErrors.Outcome(OperationOutcome.IssueType.NotSupported, "Searches inside a bundle are not supported; search with GET.")),
        };
    }

    private static (Request? Request, string? Problem) Parse(Bundle.EntryComponent entry, int index)
    {
        if (entry.Request is not { Method: { } method, Url: { Length: > 0 } url })
        {
            return (null, $"Bundle.entry[{index}] needs request.method and request.url.");
        }

        var question = url.IndexOf('?', StringComparison.Ordinal);
        var path = (question < 0 ? url : url[..question]).Trim('/');
        var criteria = question < 0 ? null : url[(question + 1)..];
        var parts = path.Split('/');
        if (!ResourceTypes.IsKnown(parts[0]))
        {
            return (null, $"Bundle.entry[{index}]: '{url}' does not name a resource type.");
        }

        var type = parts[0];
        var id = parts.Length >= 2 ? parts[1] : null;
        if (id is not null && !FhirId.IsValid(id))
        {
            return (null, $"Bundle.entry[{index}]: '{id}' in '{url}' is not a FHIR id.");
        }

        var ifMatch = VersionETag.Parse(entry.Request.IfMatch);
        if (entry.Request.IfMatch is not null && ifMatch is null)
        {
            return (null, $"Bundle.entry[{index}]: ifMatch must be a version ETag such as W/\"3\".");
        }

        int? version = parts.Length == 4 && parts[2] == "_history" && int.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0 ? v : null;
        if (parts.Length > 4 || (parts.Length >= 3 && (version is null || method != Bundle.HTTPVerb.GET)))
        {
            return (null, $"Bundle.entry[{index}]: '{url}' is not a supported request.");
        }

        switch (method)
        {
            case Bundle.HTTPVerb.POST or Bundle.HTTPVerb.PUT when entry.Resource is null || entry.Resource.TypeName != type:
                return (null, $"Bundle.entry[{index}]: {method} {url} needs a {type} resource.");
            case Bundle.HTTPVerb.POST when id is not null:
                return (null, $"Bundle.entry[{index}]: POST creates at the type ({type}); use PUT to write a chosen id.");
            case Bundle.HTTPVerb.PUT when id is null && criteria is null:
            case Bundle.HTTPVerb.DELETE when id is null && criteria is null:
                return (null, $"Bundle.entry[{index}]: {method} needs Type/id or Type?criteria.");
            case Bundle.HTTPVerb.PUT when id is not null && entry.Resource!.Id != id:
                return (null, $"Bundle.entry[{index}]: the resource's id ({entry.Resource.Id ?? "none"}) must be the id in the url ({id}).");
            case Bundle.HTTPVerb.PATCH when entry.Resource is not Parameters:
                return (null, $"Bundle.entry[{index}]: PATCH inside a bundle takes a FHIRPath Patch Parameters resource.");
            case Bundle.HTTPVerb.PATCH when id is null && criteria is null:
                return (null, $"Bundle.entry[{index}]: PATCH needs Type/id or Type?criteria.");
            case Bundle.HTTPVerb.PATCH when FhirPathPatch.Problem((Parameters)entry.Resource) is { } problem:
                return (null, $"Bundle.entry[{index}]: {problem}");
            case Bundle.HTTPVerb.HEAD:
                return (null, $"Bundle.entry[{index}]: HEAD is not supported inside a bundle.");
        }

        // Checked here as well as at the write, so that no invalid id reaches the store even as a read.
        if (entry.Resource is { } resource && WriteRules.Check(resource) is { } invalid)
        {
            return (null, $"Bundle.entry[{index}].resource: {invalid.Issue[0].Diagnostics}");
        }

        return (new Request(method, type, id, version, criteria, entry.Resource, entry) { IfMatch = ifMatch }, null);
    }

    private static string Message(FhirRepository.Result result) => result.Outcome?.Issue[0].Diagnostics ?? $"Refused with {result.Status}.";

    /// <summary>
    /// The transaction refused for entry <paramref name="entry"/> as the repository refused it (status and code): the
    /// entry named as the expression, or, when the refusal names a FHIRPath of its own, in the message.
    /// </summary>
    private static Answer Refuse(FhirRepository.Result refusal, int entry)
    {
        var issue = refusal.Outcome?.Issue[0];
        var code = issue?.Code ?? OperationOutcome.IssueType.Invalid;
        return issue?.Expression.FirstOrDefault() is { } expression
            ? Refuse(refusal.Status, $"Bundle.entry[{entry}]: {issue.Diagnostics}", expression, code)
            : Refuse(refusal.Status, Message(refusal), $"Bundle.entry[{entry}]", code);
    }

    private static Answer Refuse(int status, string message, string? expression = null, OperationOutcome.IssueType code = OperationOutcome.IssueType.Invalid) =>
        new(status, null, FhirErrors.Outcome(code, message, expression));
}
