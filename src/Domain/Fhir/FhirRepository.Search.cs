using Enclave.Domain.Search;
using Hl7.Fhir.Model;

namespace Enclave.Domain.Fhir;

// search, count, history and includes.
public sealed partial class FhirRepository
{
    /// <summary>
    /// history (instance, type or whole project): versions newest first, a page at a time; only the versions the
    /// caller may see (so a page can hold fewer than <paramref name="count"/>), each without its hidden fields.
    /// </summary>
    public async Task<(IReadOnlyList<StoredResource> Versions, string? Next, OperationOutcome? Refusal)> HistoryAsync(
        string? resourceType, string? id, DateTimeOffset? since, DateRange? at, int count, string? page, CancellationToken cancellationToken)
    {
        if (resourceType is not null && TypeRefusal(resourceType, "history") is { } refused)
        {
            return ([], null, refused.Outcome);
        }

        var (versions, next) = await Store.HistoryAsync(resourceType, id, since, at, Math.Clamp(count, 1, MaxPageSize), page, cancellationToken);
        return ([.. versions.Select(v => Visible(v, "history")).OfType<StoredResource>()], next, null);
    }

    /// <summary>A page of search results: the matches, what <c>_include</c>/<c>_revinclude</c> brought, the next page's token.</summary>
    public sealed record SearchPage(IReadOnlyList<StoredResource> Matches, IReadOnlyList<StoredResource> Included, string? Next);

    /// <summary>The most resources the includes of one page may add.</summary>
    public const int MaxIncluded = 1000;

    /// <summary>
    /// search: a page of the project's current resources that match (chains resolved first), and what its
    /// includes add; or the outcome of a chain that cannot be resolved. With <paramref name="includeLinked"/> (the
    /// search interaction) the matches also come from the linked projects' exported types, which are read-only.
    /// </summary>
    public async Task<(SearchPage? Page, OperationOutcome? Refusal)> SearchAsync(SearchRequest request, string? page, CancellationToken cancellationToken, bool includeLinked = false)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (SearchRefusal(request) is { } forbidden)
        {
            return (null, forbidden);
        }

        var (resolved, refusal) = await ResolveChainsAsync(access.Policy.Restrict(request, "search"), cancellationToken);
        if (refusal is not null)
        {
            return (null, refusal);
        }

        var (matches, next) = await store.For(Reach(includeLinked, request, resolved!)).SearchAsync(resolved!, page, cancellationToken);
        var included = await IncludeAsync(request, matches, cancellationToken);
        return (new SearchPage([.. matches.Select(Shown)], [.. included.Select(Shown)], next), null);
    }

    /// <summary>search: how many of the project's current resources match (and the caller may see).</summary>
    public async Task<(int Count, OperationOutcome? Refusal)> CountAsync(SearchRequest request, CancellationToken cancellationToken, bool includeLinked = false)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (SearchRefusal(request) is { } forbidden)
        {
            return (0, forbidden);
        }

        var (resolved, refusal) = await ResolveChainsAsync(access.Policy.Restrict(request, "search"), cancellationToken);
        return refusal is not null ? (0, refusal) : (await store.For(Reach(includeLinked, request, resolved!)).CountAsync(resolved!, cancellationToken), null);
    }

    /// <summary>
    /// What a search reaches: the linked projects too only for a plain search by an unrestricted caller. Chains,
    /// <c>_has</c> and includes resolve in the caller's project, and references and compartments name no project, so
    /// matching their ids in a linked project would mix two projects' resources; a policy's criteria speak of the
    /// caller's project alone.
    /// </summary>
    private ProjectScope Reach(bool includeLinked, SearchRequest asked, SearchRequest resolved) =>
        includeLinked && resolved.Filter is null && asked.Includes.Count == 0 && asked.RevIncludes.Count == 0
            && asked.Criteria.All(c => c.Chain is null && c.Type != Hl7.Fhir.Model.SearchParamType.Reference && c.Code is not ("_has" or "_compartment"))
            ? access.Scope
            : access.Scope.OwnOnly;

    /// <summary>Why the caller may not run <paramref name="request"/> (a Forbidden outcome), or null.</summary>
    private OperationOutcome? SearchRefusal(SearchRequest request)
    {
        if (!request.IsSystemSearch && TypeRefusal(request.ResourceType, "search") is { } refused)
        {
            return refused.Outcome;
        }

        return access.Policy.HiddenFieldSearched(request) is { } hidden ? FhirErrors.Outcome(OperationOutcome.IssueType.Forbidden, hidden) : null;
    }

    private Task<(SearchRequest?, OperationOutcome?)> ResolveChainsAsync(SearchRequest request, CancellationToken cancellationToken) =>
        ChainResolver.ResolveAsync(request, (inner, code, limit) => Store.SelectReferencesAsync(inner, code, limit, cancellationToken));

    /// <summary>
    /// The resources <c>_include</c> and <c>_revinclude</c> add to <paramref name="matches"/>: one query per include
    /// per round; <c>:iterate</c> ones are applied again to what the previous round added (three rounds at most).
    /// </summary>
    private async Task<IReadOnlyList<StoredResource>> IncludeAsync(SearchRequest request, IReadOnlyList<StoredResource> matches, CancellationToken cancellationToken)
    {
        var seen = matches.Select(m => m.Reference).ToHashSet(StringComparer.Ordinal);
        var included = new List<StoredResource>();
        var frontier = matches;
        for (var round = 0; round < 3 && frontier.Count > 0 && included.Count < MaxIncluded; round++)
        {
            var added = new List<StoredResource>();
            foreach (var include in request.Includes.Where(i => round == 0 || i.Iterate))
            {
                var parameter = SearchParameters.For(include.SourceType)[include.Code];
                var references = frontier.Where(r => r.ResourceType == include.SourceType && !r.Deleted)
                    .SelectMany(r => ResourceParser.TryParse(r.Json, out var resource, out _) ? ResourceIndexer.Entries(resource!, parameter) : [])
                    .Where(e => e.Reference is not null && (include.TargetType is null || e.Type == include.TargetType))
                    .Select(e => e.Reference!)
                    .Where(r => !seen.Contains(r))
                    .Take(MaxIncluded)
                    .ToHashSet(StringComparer.Ordinal);
                added.AddRange((await Store.ReadManyAsync(references, cancellationToken))
                    .Where(r => !r.Deleted && Visible(r, "search") is not null && seen.Add(r.Reference)));
            }

            foreach (var revInclude in request.RevIncludes.Where(i => round == 0 || i.Iterate))
            {
                var pointingAt = access.Policy.Restrict(new SearchRequest(revInclude.SourceType,
                    [new SearchCriterion(revInclude.Code, SearchParamType.Reference, null, [.. frontier.Select(r => r.Reference)])], MaxIncluded, []), "search");
                var (referring, _) = await Store.SearchAsync(pointingAt, null, cancellationToken);
                added.AddRange(referring.Where(r => seen.Add(r.Reference)));
            }

            included.AddRange(added);
            frontier = added;
        }

        return included;
    }
}
