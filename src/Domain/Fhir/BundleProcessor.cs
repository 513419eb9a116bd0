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
public sealed class BundleProcessor(FhirRepository repository)
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

    private async Task<Answer> TransactionAsync(List<Request> requests, Func<FhirRepository.Result, Bundle.EntryComponent> respond, CancellationToken cancellationToken)
    {
        if (requests.FindIndex(r => r.Method == Bundle.HTTPVerb.GET && r.Id is null) is >= 0 and var search)
        {
            return Refuse(400, "Searches inside a transaction are not supported.", $"Bundle.entry[{search}]");
        }

        // A read the caller may not make is refused before anything is written; a read itself cannot fail the transaction.
        for (var i = 0; i < requests.Count; i++)
        {
            if (requests[i].Method == Bundle.HTTPVerb.GET && repository.TypeRefusal(requests[i].Type, requests[i].Version is null ? "read" : "vread") is { } refused)
            {
                return Refuse(refused, i);
            }
        }

        foreach (var read in requests.Where(r => r.Method == Bundle.HTTPVerb.GET))
        {
            repository.Audit?.Concerns(read.Version is { } v ? $"{read.Type}/{read.Id}/_history/{v}" : $"{read.Type}/{read.Id}");
        }

        for (var attempt = 0; attempt < FhirRepository.MaxAttempts; attempt++)
        {
            var (plan, refusal) = await PlanAsync(requests, cancellationToken);
            if (refusal is not null)
            {
                return refusal;
            }

            // The one commit of the write pipeline, for every entry at once; when another write came first, plan again.
            var writes = plan.Writes.OfType<WritePlan>().ToList();
            IReadOnlyList<FhirRepository.Result>? committed = [];
            FhirRepository.Result? tooLarge = null;
            if (writes.Count > 0)
            {
                (committed, tooLarge) = await repository.CommitAsync(writes, plan.Guards, cancellationToken);
            }

            if (tooLarge is not null)
            {
                return Refuse(tooLarge.Status, $"The transaction is too large to commit atomically: {Message(tooLarge)}", code: tooLarge.Outcome!.Issue[0].Code!.Value);
            }

            if (committed is null)
            {
                continue;
            }

            var answers = new Queue<FhirRepository.Result>(committed);
            var response = new Bundle { Type = Bundle.BundleType.TransactionResponse };
            for (var i = 0; i < requests.Count; i++)
            {
                // Reads see the transaction's writes; their answers (404, 410 included) are their own.
                var result = requests[i].Method == Bundle.HTTPVerb.GET ? await ExecuteAsync(requests[i], cancellationToken) : plan.Results[i] ?? answers.Dequeue();
                response.Entry.Add(respond(result));
            }

            return new Answer(200, response, null);
        }

        return Refuse(409, "Too many concurrent writes to the resources of this transaction; retry.", code: OperationOutcome.IssueType.Conflict);
    }

    /// <summary>
    /// One attempt at a transaction, entry by entry: the resource it writes (<c>Type/id</c>), its resource with
    /// references resolved, and either its answer without a write or its planned write (in entry order).
    /// </summary>
    private sealed class Plan(List<Request> requests)
    {
        public List<Request> Requests { get; } = requests;

        public string?[] Targets { get; } = new string?[requests.Count];

        public Resource?[] Resources { get; } = [.. requests.Select(r => (Resource?)r.Resource?.DeepCopy())];

        public FhirRepository.Result?[] Results { get; } = new FhirRepository.Result?[requests.Count];

        public WritePlan?[] Writes { get; } = new WritePlan?[requests.Count];

        public List<CommitGuard> Guards { get; } = [];

        public Dictionary<string, string> FullUrls { get; } = new(StringComparer.Ordinal);
    }

    /// <summary>Works out every write of the transaction against the current state, without writing anything.</summary>
    private async Task<(Plan Plan, Answer? Refusal)> PlanAsync(List<Request> requests, CancellationToken cancellationToken)
    {
        var plan = new Plan(requests);
        var refusal = await DecideTargetsAsync(plan, cancellationToken) ?? await ResolveReferencesAsync(plan, cancellationToken) ?? await PlanWritesAsync(plan, cancellationToken);
        return (plan, refusal);
    }

    /// <summary>1. Decides the resource every entry writes, so that references between entries can be resolved.</summary>
    private async Task<Answer?> DecideTargetsAsync(Plan plan, CancellationToken cancellationToken)
    {
        for (var i = 0; i < plan.Requests.Count; i++)
        {
            var request = plan.Requests[i];
            string? id = request.Id;
            if (request.Method == Bundle.HTTPVerb.POST)
            {
                id = FhirRepository.NewId();
                if (request.Entry.Request!.IfNoneExist is { } ifNoneExist)
                {
                    var (existing, guard) = await repository.MatchForCreateAsync(request.Type, ifNoneExist, cancellationToken);
                    if (existing is { Status: >= 400 })
                    {
                        return Refuse(existing, i);
                    }

                    if (existing is not null)
                    {
                        plan.Results[i] = existing;
                        id = existing.Resource!.Id;
                    }
                    else
                    {
                        plan.Guards.Add(guard!);
                    }
                }
            }
            else if (request.Criteria is { } criteria && request.Method is Bundle.HTTPVerb.PUT or Bundle.HTTPVerb.DELETE or Bundle.HTTPVerb.PATCH)
            {
                var (match, refusal) = await repository.MatchOneAsync(request.Type, criteria, cancellationToken);
                if (refusal is not null)
                {
                    return Refuse(refusal, i);
                }

                id = match?.Id ?? (request.Method == Bundle.HTTPVerb.PUT ? plan.Resources[i]!.Id ?? FhirRepository.NewId() : null);
                if (id is null && request.Method == Bundle.HTTPVerb.PATCH)
                {
                    return Refuse(404, $"No {request.Type} matches '{criteria}'.", $"Bundle.entry[{i}]", OperationOutcome.IssueType.NotFound);
                }

                if (id is null)
                {
                    plan.Results[i] = new FhirRepository.Result(204);
                }
            }

            if (id is not null && request.Method != Bundle.HTTPVerb.GET)
            {
                plan.Targets[i] = $"{request.Type}/{id}";
                if (plan.Targets.Take(i).Contains(plan.Targets[i]))
                {
                    return Refuse(400, $"{plan.Targets[i]} is written by more than one entry of the transaction.", $"Bundle.entry[{i}]");
                }

                if (plan.Resources[i] is { } resource && request.Method != Bundle.HTTPVerb.PATCH)
                {
                    resource.Id = id;
                }
            }

            if (request.Entry.FullUrl is { } fullUrl && plan.Targets[i] is { } target)
            {
                plan.FullUrls[fullUrl] = target;
            }
        }

        return null;
    }

    /// <summary>2. Points references at the resources decided above, and resolves conditional references.</summary>
    private async Task<Answer?> ResolveReferencesAsync(Plan plan, CancellationToken cancellationToken)
    {
        for (var i = 0; i < plan.Requests.Count; i++)
        {
            if (plan.Resources[i] is not { } resource)
            {
                continue;
            }

            var at = $"Bundle.entry[{i}]";
            foreach (var reference in ReferenceCheck.All(resource).Select(r => r.Reference))
            {
                if (reference.Reference is not { } text)
                {
                    continue;
                }

                if (plan.FullUrls.TryGetValue(text, out var resolved))
                {
                    reference.Reference = resolved;
                }
                else if (text.Contains('?', StringComparison.Ordinal) && !Uri.IsWellFormedUriString(text, UriKind.Absolute))
                {
                    var type = text[..text.IndexOf('?', StringComparison.Ordinal)];
                    var (match, refusal) = await repository.MatchOneAsync(type, text[(type.Length + 1)..], cancellationToken);
                    if (refusal is { Status: not 412 })
                    {
                        return Refuse(400, $"The conditional reference '{text}': {Message(refusal)}", at);
                    }

                    if (match is null)
                    {
                        // 412 when several match, 400 when none does.
                        return Refuse(refusal?.Status ?? 400, $"The conditional reference '{text}' matches {(refusal is null ? "no resource" : "more than one resource")}; it must match exactly one.", at);
                    }

                    reference.Reference = match.Reference;
                }
                else if (text.StartsWith("urn:uuid:", StringComparison.Ordinal) || text.StartsWith("urn:oid:", StringComparison.Ordinal))
                {
                    return Refuse(400, $"'{text}' is not the fullUrl of any entry of the transaction.", at);
                }
            }

            RewriteLinks(resource, plan.FullUrls);
        }

        return null;
    }

    /// <summary>
    /// 3. Plans each write through the repository's write plan, as a REST write is planned, knowing what the other
    /// entries write: the first refusal refuses the transaction.
    /// </summary>
    private async Task<Answer?> PlanWritesAsync(Plan plan, CancellationToken cancellationToken)
    {
        var requests = plan.Requests;
        var pending = new PendingWrites(plan.Targets.OfType<string>().ToHashSet(StringComparer.Ordinal), Enumerable.Range(0, requests.Count)
            .Where(i => plan.Targets[i] is not null && plan.Resources[i] is { } r && r is not Parameters)
            .ToDictionary(i => plan.Targets[i]!, i => plan.Resources[i]!, StringComparer.Ordinal));
        for (var i = 0; i < requests.Count; i++)
        {
            var request = requests[i];
            if (plan.Results[i] is not null || request.Method == Bundle.HTTPVerb.GET)
            {
                continue;
            }

            var resource = plan.Resources[i];
            var intent = new WriteIntent(request.Method switch
            {
                Bundle.HTTPVerb.POST => WriteKind.Create,
                Bundle.HTTPVerb.PUT => WriteKind.Update,
                Bundle.HTTPVerb.PATCH => WriteKind.Patch,
                _ => WriteKind.Delete,
            }, request.Type, plan.Targets[i]![(request.Type.Length + 1)..])
            {
                Resource = request.Method is Bundle.HTTPVerb.POST or Bundle.HTTPVerb.PUT ? resource : null,
                Patch = request.Method == Bundle.HTTPVerb.PATCH ? FhirPathPatch.Applier((Parameters)resource!) : null,
                IfMatch = request.IfMatch,
            };
            var planned = await repository.PlanAsync(intent, pending, cancellationToken);
            if (planned.Refused)
            {
                return Refuse(planned.Answer!, i);
            }

            plan.Results[i] = planned.Answer;
            plan.Writes[i] = planned.Answer is null ? planned : null;
        }

        return null;
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

    /// <summary>
    /// Replaces <c>urn:uuid</c>/<c>urn:oid</c> fullUrls outside <c>Reference.reference</c> too: in <c>uri</c> and <c>url</c>
    /// elements (an attachment's url, an extension's valueUri) and in narrative <c>href</c>/<c>src</c> attributes, as
    /// http.html's transaction rules say. Iterative: the parser has already bounded the depth.
    /// </summary>
    private static void RewriteLinks(Resource resource, Dictionary<string, string> fullUrls)
    {
        static bool IsLocal(string url) => url.StartsWith("urn:uuid:", StringComparison.Ordinal) || url.StartsWith("urn:oid:", StringComparison.Ordinal);
        var local = fullUrls.Where(u => IsLocal(u.Key)).ToList();
        if (local.Count == 0)
        {
            return;
        }

        var pending = new Stack<Base>([resource]);
        while (pending.TryPop(out var element))
        {
            switch (element)
            {
                case FhirUri { Value: { } uri } link when IsLocal(uri) && fullUrls.TryGetValue(uri, out var resolved):
                    link.Value = resolved;
                    break;
                case FhirUrl { Value: { } url } link when IsLocal(url) && fullUrls.TryGetValue(url, out var resolved):
                    link.Value = resolved;
                    break;
                case Narrative { Div: { } div } narrative:
                    narrative.Div = local.Aggregate(div, (text, u) => text
                        .Replace($"\"{u.Key}\"", $"\"{u.Value}\"", StringComparison.Ordinal)
                        .Replace($"'{u.Key}'", $"'{u.Value}'", StringComparison.Ordinal));
                    break;
            }

            foreach (var (_, value) in element.EnumerateElements())
            {
                foreach (var child in value is Base one ? [one] : (value as IEnumerable<Base>) ?? [])
                {
                    pending.Push(child);
                }
            }
        }
    }
}
