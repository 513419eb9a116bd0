using Hl7.Fhir.Model;

namespace Enclave.Domain.Fhir;

// A transaction: planned against the current state, committed as one atomic write, planned again when raced.
public sealed partial class BundleProcessor
{
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
