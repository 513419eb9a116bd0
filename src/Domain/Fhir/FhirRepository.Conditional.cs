using Enclave.Domain.Search;
using Hl7.Fhir.Model;

namespace Enclave.Domain.Fhir;

// Conditional interactions: criteria parsed strictly, matched in the caller's project.
public sealed partial class FhirRepository
{
    /// <summary>
    /// The match of a conditional create's criteria (<c>If-None-Exist</c>), or the guard to commit with when there is
    /// none: the guard is read before the search, so any create with the same criteria that commits after it makes
    /// this commit fail. The answer is the existing match (200, as the caller may see it), or a refusal (4xx) of the
    /// criteria or of several matches (412); null with the guard when nothing matches.
    /// </summary>
    public async Task<(Result? Answer, CommitGuard? Guard)> MatchForCreateAsync(string type, string criteria, CancellationToken cancellationToken)
    {
        var (request, refusal) = await CriteriaAsync(type, criteria, cancellationToken);
        if (refusal is not null)
        {
            return (refusal, null);
        }

        var key = GuardKey(request!);
        var etag = await Store.ReadGuardAsync(key, cancellationToken);
        var matches = await MatchAsync(request!, cancellationToken);
        return matches.Count switch
        {
            0 => (null, new CommitGuard(key, etag)),
            1 => (Present(new Result(200, matches[0])), null),
            _ => (MultipleMatches(type, criteria), null),
        };
    }

    /// <summary>
    /// The one current resource of <paramref name="type"/> matching <paramref name="criteria"/> (a conditional update,
    /// patch or delete, or a conditional reference), or null when none does; a refusal of the criteria (400, 403), or
    /// 412 when several match.
    /// </summary>
    public async Task<(StoredResource? Match, Result? Refusal)> MatchOneAsync(string type, string criteria, CancellationToken cancellationToken)
    {
        var (request, refusal) = await CriteriaAsync(type, criteria, cancellationToken);
        if (refusal is not null)
        {
            return (null, refusal);
        }

        var matches = await MatchAsync(request!, cancellationToken);
        return matches.Count > 1 ? (null, MultipleMatches(type, criteria)) : (matches.Count == 0 ? null : matches[0], null);
    }

    /// <summary>
    /// The criteria of a conditional interaction, parsed strictly (an unsupported parameter is an error, not ignored),
    /// limited to what the caller may search, chains resolved.
    /// </summary>
    private async Task<(SearchRequest? Request, Result? Refusal)> CriteriaAsync(string type, string criteria, CancellationToken cancellationToken)
    {
        var (parsed, refusal) = ParseCriteria(type, criteria);
        if (refusal is not null)
        {
            return (null, refusal);
        }

        if (SearchRefusal(parsed!) is { } forbidden)
        {
            return (null, new Result(403, null, forbidden));
        }

        var (resolved, unresolvable) = await ResolveChainsAsync(access.Policy.Restrict(parsed!, "search"), cancellationToken);
        return unresolvable is not null ? (null, new Result(400, null, unresolvable)) : (resolved, null);
    }

    /// <summary>At most two current resources matching the (restricted, resolved) criteria of a conditional interaction.</summary>
    private async Task<IReadOnlyList<StoredResource>> MatchAsync(SearchRequest request, CancellationToken cancellationToken) =>
        (await Store.SearchAsync(request with { Count = 2 }, null, cancellationToken)).Resources;

    private static (SearchRequest? Request, Result? Refusal) ParseCriteria(string type, string criteria)
    {
        var query = criteria.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('=', 2))
            .Select(kv => new KeyValuePair<string, string>(Uri.UnescapeDataString(kv[0]), kv.Length > 1 ? Uri.UnescapeDataString(kv[1].Replace('+', ' ')) : string.Empty))
            .ToList();
        var (request, outcome) = SearchParser.Parse(type, query, strict: true);
        if (outcome is not null)
        {
            return (null, new Result(400, null, outcome));
        }

        // Only the criteria select: sorting and includes mean nothing here (and a sort could be one the store cannot run).
        return request!.Criteria.Count == 0
            ? (null, new Result(400, null, FhirErrors.Outcome(OperationOutcome.IssueType.Invalid, "A conditional interaction needs search criteria.")))
            : (request with { Sort = [], Includes = [], RevIncludes = [] }, null);
    }

    private static string GuardKey(SearchRequest request) =>
        "create:" + request.ResourceType + "?" + string.Join('&', request.Criteria
            .Select(c => $"{c.Code}:{c.Modifier}={string.Join(',', c.Values)}").Order(StringComparer.Ordinal));

    /// <summary>Conditional update (<c>PUT Type?criteria</c>): no match creates, one match is updated, several are 412.</summary>
    public async Task<Result> ConditionalUpdateAsync(Resource resource, string criteria, int? ifMatchVersion, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var (match, refusal) = await MatchOneAsync(resource.TypeName, criteria, cancellationToken);
        if (refusal is not null)
        {
            return refusal;
        }

        if (match is null)
        {
            return resource.Id is null ? await CreateAsync(resource, criteria, cancellationToken) : await UpdateAsync(resource, ifMatchVersion, cancellationToken);
        }

        if (resource.Id is not null && resource.Id != match.Id)
        {
            return new Result(400, null, FhirErrors.Outcome(OperationOutcome.IssueType.Invalid,
                $"The body's id ({resource.Id}) is not the id of the resource the criteria match ({match.Id})."));
        }

        resource.Id = match.Id;
        return await UpdateAsync(resource, ifMatchVersion, cancellationToken);
    }

    /// <summary>Conditional patch (<c>PATCH Type?criteria</c>): one match is patched; none is 404, several are 412.</summary>
    public async Task<Result> ConditionalPatchAsync(string resourceType, string criteria, Func<string, (Resource? Patched, OperationOutcome? Refusal)> apply,
        int? ifMatchVersion, CancellationToken cancellationToken)
    {
        var (match, refusal) = await MatchOneAsync(resourceType, criteria, cancellationToken);
        return refusal
            ?? (match is null
                ? new Result(404, null, FhirErrors.Outcome(OperationOutcome.IssueType.NotFound, $"No {resourceType} matches '{criteria}'."))
                : await PatchAsync(resourceType, match.Id, apply, ifMatchVersion, cancellationToken));
    }

    /// <summary>Conditional delete (<c>DELETE Type?criteria</c>): no match is 204, one match is deleted, several are 412.</summary>
    public async Task<Result> ConditionalDeleteAsync(string resourceType, string criteria, CancellationToken cancellationToken)
    {
        var (match, refusal) = await MatchOneAsync(resourceType, criteria, cancellationToken);
        return refusal ?? (match is null ? new Result(204) : await DeleteAsync(resourceType, match.Id, cancellationToken));
    }

    private static Result MultipleMatches(string type, string criteria) =>
        new(412, null, FhirErrors.Outcome(OperationOutcome.IssueType.MultipleMatches, $"More than one {type} matches '{criteria}'."));
}
