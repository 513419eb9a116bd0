using System.Globalization;
using Hl7.Fhir.Model;

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
            var result = request.Type.Length == 0
                ? new FhirRepository.Result(400, null, FhirErrors.Outcome(OperationOutcome.IssueType.Invalid, request.Criteria!))
                : await ExecuteAsync(request, cancellationToken);
            response.Entry.Add(respond(result));
        }

        return new Answer(200, response, null);
    }

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
            var interaction = requests[i].Version is null ? "read" : "vread";
            if (requests[i].Method == Bundle.HTTPVerb.GET && !repository.Policy.AllowsType(requests[i].Type, interaction))
            {
                return Refuse(403, $"Your access policy does not allow {interaction} on {requests[i].Type}.", $"Bundle.entry[{i}]", OperationOutcome.IssueType.Forbidden);
            }
        }

        for (var attempt = 0; attempt < FhirRepository.MaxAttempts; attempt++)
        {
            var plan = await PlanAsync(requests, cancellationToken);
            if (plan.Refusal is not null)
            {
                return plan.Refusal;
            }

            IReadOnlyList<StoredResource>? committed;
            try
            {
                committed = plan.Writes.Count == 0 ? [] : await repository.Store.CommitAsync(plan.Writes, plan.Guards, cancellationToken);
            }
            catch (CommitTooLargeException ex)
            {
                return Refuse(ex.Answer.Status, $"The transaction is too large to commit atomically: {ex.Message}", code: ex.Answer.Code);
            }

            if (committed is null)
            {
                continue;
            }

            var response = new Bundle { Type = Bundle.BundleType.TransactionResponse };
            foreach (var (request, i) in requests.Select((r, i) => (r, i)))
            {
                // Reads see the transaction's writes; their answers (404, 410 included) are their own.
                var result = request.Method == Bundle.HTTPVerb.GET
                    ? await ExecuteAsync(request, cancellationToken)
                    : repository.Present(plan.Results[i] ?? committed[plan.WriteIndex[i]!.Value] switch
                    {
                        { Deleted: true } deleted => new FhirRepository.Result(204, deleted),
                        { VersionId: 1 } created => new FhirRepository.Result(201, created),
                        var updated => new FhirRepository.Result(request.Method == Bundle.HTTPVerb.POST ? 201 : 200, updated),
                    });
                response.Entry.Add(respond(result));
            }

            return new Answer(200, response, null);
        }

        return Refuse(409, "Too many concurrent writes to the resources of this transaction; retry.", code: OperationOutcome.IssueType.Conflict);
    }

    private sealed record Plan(List<ResourceWrite> Writes, List<CommitGuard> Guards, FhirRepository.Result?[] Results, int?[] WriteIndex, Answer? Refusal);

    /// <summary>Works out every write of the transaction against the current state, without writing anything.</summary>
    private async Task<Plan> PlanAsync(List<Request> requests, CancellationToken cancellationToken)
    {
        var writes = new List<ResourceWrite>();
        var guards = new List<CommitGuard>();
        var results = new FhirRepository.Result?[requests.Count];
        var writeIndex = new int?[requests.Count];
        var targets = new string?[requests.Count];
        var resources = requests.Select(r => (Resource?)r.Resource?.DeepCopy()).ToArray();
        var fullUrls = new Dictionary<string, string>(StringComparer.Ordinal);
        Plan Refused(int status, string message, int entry, OperationOutcome.IssueType code = OperationOutcome.IssueType.Invalid) =>
            new(writes, guards, results, writeIndex, Refuse(status, message, $"Bundle.entry[{entry}]", code));

        // 1. Decide the id every entry writes, so references between entries can be resolved.
        for (var i = 0; i < requests.Count; i++)
        {
            var request = requests[i];
            string? id = request.Id;
            if (request.Method == Bundle.HTTPVerb.POST)
            {
                id = FhirRepository.NewId();
                if (request.Entry.Request!.IfNoneExist is { } ifNoneExist)
                {
                    var (existing, guard, refusal) = await repository.MatchForCreateAsync(request.Type, ifNoneExist, cancellationToken);
                    if (refusal is not null)
                    {
                        return Refused(refusal.Status, Message(refusal), i);
                    }

                    if (existing is not null)
                    {
                        results[i] = new FhirRepository.Result(200, existing);
                        id = existing.Id;
                    }
                    else
                    {
                        guards.Add(guard!);
                    }
                }
            }
            else if (request.Criteria is { } criteria && request.Method is Bundle.HTTPVerb.PUT or Bundle.HTTPVerb.DELETE or Bundle.HTTPVerb.PATCH)
            {
                var (matchRequest, refusal) = await repository.CriteriaAsync(request.Type, criteria, cancellationToken);
                if (refusal is not null)
                {
                    return Refused(refusal.Status, Message(refusal), i);
                }

                var matches = await repository.MatchAsync(matchRequest!, cancellationToken);
                if (matches.Count > 1)
                {
                    return Refused(412, $"More than one {request.Type} matches '{criteria}'.", i, OperationOutcome.IssueType.MultipleMatches);
                }

                id = matches.Count == 1 ? matches[0].Id : request.Method == Bundle.HTTPVerb.PUT ? resources[i]!.Id ?? FhirRepository.NewId() : null;
                if (id is null && request.Method == Bundle.HTTPVerb.PATCH)
                {
                    return Refused(404, $"No {request.Type} matches '{criteria}'.", i, OperationOutcome.IssueType.NotFound);
                }

                if (id is null)
                {
                    results[i] = new FhirRepository.Result(204);
                }
            }

            if (id is not null && request.Method != Bundle.HTTPVerb.GET)
            {
                targets[i] = $"{request.Type}/{id}";
                if (targets.Take(i).Contains(targets[i]))
                {
                    return Refused(400, $"{targets[i]} is written by more than one entry of the transaction.", i);
                }

                if (resources[i] is { } resource && request.Method != Bundle.HTTPVerb.PATCH)
                {
                    resource.Id = id;
                }
            }

            if (request.Entry.FullUrl is { } fullUrl && targets[i] is { } target)
            {
                fullUrls[fullUrl] = target;
            }
        }

        // 2. Point references at the ids decided above, and resolve conditional references.
        for (var i = 0; i < requests.Count; i++)
        {
            if (resources[i] is not { } resource)
            {
                continue;
            }

            foreach (var reference in ReferenceCheck.All(resource).Select(r => r.Reference))
            {
                if (reference.Reference is not { } text)
                {
                    continue;
                }

                if (fullUrls.TryGetValue(text, out var resolved))
                {
                    reference.Reference = resolved;
                }
                else if (text.Contains('?', StringComparison.Ordinal) && !Uri.IsWellFormedUriString(text, UriKind.Absolute))
                {
                    var type = text[..text.IndexOf('?', StringComparison.Ordinal)];
                    var (matchRequest, refusal) = await repository.CriteriaAsync(type, text[(type.Length + 1)..], cancellationToken);
                    if (refusal is not null)
                    {
                        return Refused(400, $"The conditional reference '{text}': {Message(refusal)}", i);
                    }

                    var matches = await repository.MatchAsync(matchRequest!, cancellationToken);
                    if (matches.Count != 1)
                    {
                        return Refused(matches.Count == 0 ? 400 : 412, $"The conditional reference '{text}' matches {matches.Count} resources; it must match exactly one.", i);
                    }

                    reference.Reference = matches[0].Reference;
                }
                else if (text.StartsWith("urn:uuid:", StringComparison.Ordinal) || text.StartsWith("urn:oid:", StringComparison.Ordinal))
                {
                    return Refused(400, $"'{text}' is not the fullUrl of any entry of the transaction.", i);
                }
            }

            RewriteLinks(resource, fullUrls);
        }

        // 3. Read what each write replaces, check references, and build the commit.
        var pending = targets.Where(t => t is not null).Select(t => t!).ToHashSet(StringComparer.Ordinal);
        var pendingResources = Enumerable.Range(0, requests.Count)
            .Where(i => targets[i] is not null && resources[i] is { } r && r is not Parameters)
            .ToDictionary(i => targets[i]!, i => resources[i]!, StringComparer.Ordinal);
        for (var i = 0; i < requests.Count; i++)
        {
            var request = requests[i];
            if (results[i] is not null || request.Method == Bundle.HTTPVerb.GET)
            {
                continue;
            }

            var id = targets[i]![(request.Type.Length + 1)..];
            var current = request.Method == Bundle.HTTPVerb.POST ? null : await repository.Store.ReadAsync(request.Type, id, cancellationToken);
            if (current is null && request.Method != Bundle.HTTPVerb.POST && await repository.LinkedReadOnlyAsync(request.Type, id, cancellationToken) is { } readOnly)
            {
                return Refused(403, Message(readOnly), i, OperationOutcome.IssueType.Forbidden);
            }

            if (request.IfMatch is { } expected && current?.VersionId != expected)
            {
                return Refused(412, $"If-Match asked for version {expected} of {targets[i]}.", i, OperationOutcome.IssueType.Conflict);
            }

            if (request.Method == Bundle.HTTPVerb.DELETE)
            {
                var denied = current is { Deleted: false } ? repository.Authorize("delete", current, null).Refusal : null;
                if (denied is { Status: not 404 })
                {
                    return Refused(denied.Status, Message(denied), i, OperationOutcome.IssueType.Forbidden);
                }

                if (current is null || current.Deleted || denied is not null)
                {
                    results[i] = new FhirRepository.Result(204);
                }
                else
                {
                    writeIndex[i] = writes.Count;
                    writes.Add(new ResourceWrite(repository.Deletion(current), current));
                }

                continue;
            }

            var resource = resources[i]!;
            if (request.Method == Bundle.HTTPVerb.PATCH)
            {
                var view = current is null ? null : repository.Visible(current, "read");
                if (view is null || view.Deleted)
                {
                    return Refused(view is null ? 404 : 410, $"{targets[i]} is not there to patch.", i, OperationOutcome.IssueType.NotFound);
                }

                var (patched, refusal) = FhirPathPatch.Applier((Parameters)resource)(view.Json);
                if (refusal is not null)
                {
                    return Refused(400, Message(new FhirRepository.Result(400, null, refusal)), i);
                }

                if (patched!.TypeName != request.Type || patched.Id != id)
                {
                    return Refused(400, "A patch cannot change the resource type or id.", i);
                }

                resource = patched;
            }

            var interaction = request.Method == Bundle.HTTPVerb.PATCH ? "patch" : current is { Deleted: false } ? "update" : "create";
            var patients = await repository.SettleAccountsAsync(resource, current, pendingResources, cancellationToken);
            var (authorized, forbidden) = repository.Authorize(interaction, current, resource);
            if (forbidden is not null)
            {
                return Refused(forbidden.Status, Message(forbidden), i, forbidden.Outcome?.Issue[0].Code ?? OperationOutcome.IssueType.Forbidden);
            }

            resource = authorized!;
            if (await repository.CheckReferencesAsync(resource, pending, patients, cancellationToken) is { } refused)
            {
                var issue = refused.Outcome!.Issue[0];
                return new Plan(writes, guards, results, writeIndex, new Answer(400, null, FhirErrors.Outcome(OperationOutcome.IssueType.Invalid,
                    $"Bundle.entry[{i}]: {issue.Diagnostics}", issue.Expression.FirstOrDefault())));
            }

            if (FhirRepository.Unchanged(current, resource))
            {
                results[i] = new FhirRepository.Result(200, current);
                continue;
            }

            writeIndex[i] = writes.Count;
            writes.Add(new ResourceWrite(repository.NextVersion(resource, current), current));
        }

        return new Plan(writes, guards, results, writeIndex, null);
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
