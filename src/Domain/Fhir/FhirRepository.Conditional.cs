using Enclave.Domain.Search;
using Hl7.Fhir.Model;

namespace Enclave.Domain.Fhir;

// Conditional interactions: criteria parsed strictly, matched in the caller's project.
public sealed partial class FhirRepository
{
    /// <summary>
    /// The match of a conditional create's criteria, or the guard to commit with when there is none: the guard is
    /// read before the search, so any create with the same criteria that commits after it makes this commit fail.
    /// </summary>
    internal async Task<(StoredResource? Existing, CommitGuard? Guard, Result? Refusal)> MatchForCreateAsync(string type, string criteria, CancellationToken cancellationToken)
    {
        var (request, refusal) = await CriteriaAsync(type, criteria, cancellationToken);
        if (refusal is not null)
        {
            return (null, null, refusal);
        }

        var key = GuardKey(request!);
        var etag = await Store.ReadGuardAsync(key, cancellationToken);
        var matches = await MatchAsync(request!, cancellationToken);
        return matches.Count switch
        {
            0 => (null, new CommitGuard(key, etag), null),
            1 => (matches[0], null, null),
            _ => (null, null, MultipleMatches(type, criteria)),
        };
    }

    /// <summary>
    /// The criteria of a conditional interaction, parsed strictly (an unsupported parameter is an error, not ignored),
    /// limited to what the caller may search, chains resolved.
    /// </summary>
    internal async Task<(SearchRequest? Request, Result? Refusal)> CriteriaAsync(string type, string criteria, CancellationToken cancellationToken)
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
    internal async Task<IReadOnlyList<StoredResource>> MatchAsync(SearchRequest request, CancellationToken cancellationToken) =>
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
        var (request, refusal) = await CriteriaAsync(resource.TypeName, criteria, cancellationToken);
        if (refusal is not null)
        {
            return refusal;
        }

        var matches = await MatchAsync(request!, cancellationToken);
        switch (matches.Count)
        {
            case 0 when resource.Id is null:
                return await CreateAsync(resource, criteria, cancellationToken);
            case 0:
                return await UpdateAsync(resource, ifMatchVersion, cancellationToken);
            case 1 when resource.Id is not null && resource.Id != matches[0].Id:
                return new Result(400, null, FhirErrors.Outcome(OperationOutcome.IssueType.Invalid,
                    $"The body's id ({resource.Id}) is not the id of the resource the criteria match ({matches[0].Id})."));
            case 1:
                resource.Id = matches[0].Id;
                return await UpdateAsync(resource, ifMatchVersion, cancellationToken);
            default:
                return MultipleMatches(resource.TypeName, criteria);
        }
    }

    /// <summary>Conditional patch (<c>PATCH Type?criteria</c>): one match is patched; none is 404, several are 412.</summary>
    public async Task<Result> ConditionalPatchAsync(string resourceType, string criteria, Func<string, (Resource? Patched, OperationOutcome? Refusal)> apply,
        int? ifMatchVersion, CancellationToken cancellationToken)
    {
        var (request, refusal) = await CriteriaAsync(resourceType, criteria, cancellationToken);
        if (refusal is not null)
        {
            return refusal;
        }

        var matches = await MatchAsync(request!, cancellationToken);
        return matches.Count switch
        {
            0 => new Result(404, null, FhirErrors.Outcome(OperationOutcome.IssueType.NotFound, $"No {resourceType} matches '{criteria}'.")),
            1 => await PatchAsync(resourceType, matches[0].Id, apply, ifMatchVersion, cancellationToken),
            _ => MultipleMatches(resourceType, criteria),
        };
    }

    /// <summary>Conditional delete (<c>DELETE Type?criteria</c>): no match is 204, one match is deleted, several are 412.</summary>
    public async Task<Result> ConditionalDeleteAsync(string resourceType, string criteria, CancellationToken cancellationToken)
    {
        var (request, refusal) = await CriteriaAsync(resourceType, criteria, cancellationToken);
        if (refusal is not null)
        {
            return refusal;
        }

        var matches = await MatchAsync(request!, cancellationToken);
        return matches.Count switch
        {
            0 => new Result(204),
            1 => await DeleteAsync(resourceType, matches[0].Id, cancellationToken),
            _ => MultipleMatches(resourceType, criteria),
        };
    }

    internal static Result MultipleMatches(string type, string criteria) =>
        new(412, null, FhirErrors.Outcome(OperationOutcome.IssueType.MultipleMatches, $"More than one {type} matches '{criteria}'."));
}
