using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Enclave.Domain.Access;
using Enclave.Domain.Search;
using Hl7.Fhir.Model;

namespace Enclave.Domain.Fhir;

/// <summary>
/// The FHIR interactions of one caller: the project comes from the caller's scope, never from the request, so
/// another project's resources are simply not there; linked projects can be read and referenced, never written.
/// No write is lost: each applies to the version it read and retries when another write came first (unless the
/// client pinned a version with If-Match). Every write carries the resource's search index and is refused when a
/// reference names a resource the caller cannot reach. The caller's access policy is enforced on every path here:
/// a type it may not touch is 403, an instance it may not see is indistinguishable from a missing one (404), searches
/// carry the policy's filter into the query, hidden fields never leave and are never erased by a write.
/// </summary>
public sealed class FhirRepository(AccessContext access, IResourceStore store, TimeProvider time)
{

    /// <summary>How often a write re-reads and retries after losing a race.</summary>
    internal const int MaxAttempts = 20;

    /// <summary>The largest history page.</summary>
    public const int MaxPageSize = 1000;

    /// <summary>An answer: the HTTP status, the resource version involved, or an outcome explaining a refusal.</summary>
    public sealed record Result(int Status, StoredResource? Resource = null, OperationOutcome? Outcome = null);

    internal ProjectScope Scope => access.Scope;

    /// <summary>The caller's own project: every read and write of it, chains, includes and conditional matches.</summary>
    internal IProjectResources Store { get; } = store.For(access.Scope.OwnOnly);

    /// <summary>A project the caller's links reach (read only: nothing here writes through it).</summary>
    private IProjectResources Linked(string projectId) => store.For(ProjectScope.Of(projectId));

    internal EffectivePolicy Policy => access.Policy;

    /// <summary>create: a server-assigned id, version 1. With <paramref name="ifNoneExist"/> (a query string), an existing match is returned instead, atomically.</summary>
    public async Task<Result> CreateAsync(Resource resource, string? ifNoneExist, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var patients = await SettleAccountsAsync(resource, null, null, cancellationToken);
        var (authorized, denied) = Authorize("create", null, resource);
        if (denied is not null)
        {
            return denied;
        }

        resource = authorized!;
        if (await CheckReferencesAsync(resource, null, patients, cancellationToken) is { } refused)
        {
            return refused;
        }

        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var guards = new List<CommitGuard>();
            if (ifNoneExist is not null)
            {
                var (existing, guard, refusal) = await MatchForCreateAsync(resource.TypeName, ifNoneExist, cancellationToken);
                if (refusal is not null)
                {
                    return refusal;
                }

                if (existing is not null)
                {
                    return Present(new Result(200, existing));
                }

                guards.Add(guard!);
            }

            resource.Id = NewId();
            var (committed, tooLarge) = await CommitAsync([new ResourceWrite(NewVersion(resource, 1), null)], guards, cancellationToken);
            if (tooLarge is not null)
            {
                return tooLarge;
            }

            if (committed is [var stored])
            {
                return Present(new Result(201, stored));
            }
        }

        return TooManyAttempts();
    }

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

    /// <summary>read: the current version; 410 when it was deleted, 404 when it is in neither the project nor a linked one.</summary>
    public async Task<Result> ReadAsync(string resourceType, string id, CancellationToken cancellationToken)
    {
        if (TypeRefusal(resourceType, "read") is { } refused)
        {
            return refused;
        }

        var current = await ReadReachableAsync(resourceType, id, cancellationToken) is { } found ? Visible(found, "read") : null;
        return current switch
        {
            null => NotFound(resourceType, id),
            { Deleted: true } => new Result(410, current, FhirErrors.Outcome(OperationOutcome.IssueType.Deleted, $"{resourceType}/{id} was deleted.")),
            _ => new Result(200, current),
        };
    }

    /// <summary>The current version in the project, else in the first linked project that has it.</summary>
    private async Task<StoredResource?> ReadReachableAsync(string resourceType, string id, CancellationToken cancellationToken)
    {
        var current = await Store.ReadAsync(resourceType, id, cancellationToken);
        foreach (var linked in access.Scope.LinkedProjectsExporting(resourceType))
        {
            if (current is not null)
            {
                break;
            }

            current = await Linked(linked).ReadAsync(resourceType, id, cancellationToken);
        }

        return current;
    }

    /// <summary>vread: one version (a point read).</summary>
    public async Task<Result> VersionReadAsync(string resourceType, string id, int versionId, CancellationToken cancellationToken)
    {
        if (TypeRefusal(resourceType, "vread") is { } refused)
        {
            return refused;
        }

        var version = await Store.ReadVersionAsync(resourceType, id, versionId, cancellationToken);
        foreach (var linked in access.Scope.LinkedProjectsExporting(resourceType))
        {
            version ??= await Linked(linked).ReadVersionAsync(resourceType, id, versionId, cancellationToken);
        }

        version = version is null ? null : Visible(version, "vread");
        return version switch
        {
            null => NotFound(resourceType, $"{id}/_history/{versionId}"),
            { Deleted: true } => new Result(410, version, FhirErrors.Outcome(OperationOutcome.IssueType.Deleted, $"Version {versionId} of {resourceType}/{id} is a deletion.")),
            _ => new Result(200, version),
        };
    }

    /// <summary>update (create-on-update with the client's id allowed); a no-op update keeps the version.</summary>
    public async Task<Result> UpdateAsync(Resource resource, int? ifMatchVersion, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentException.ThrowIfNullOrEmpty(resource.Id);
        var referencesChecked = false;
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var current = await Store.ReadAsync(resource.TypeName, resource.Id, cancellationToken);
            if (current is null && await LinkedReadOnlyAsync(resource.TypeName, resource.Id, cancellationToken) is { } readOnly)
            {
                return readOnly;
            }

            var patients = await SettleAccountsAsync(resource, current, null, cancellationToken);
            var (authorized, denied) = Authorize(current is { Deleted: false } ? "update" : "create", current, resource);
            if (denied is not null)
            {
                return denied;
            }

            if (!referencesChecked && await CheckReferencesAsync(authorized!, null, patients, cancellationToken) is { } refused)
            {
                return refused;
            }

            referencesChecked = true;
            if (await TryWriteAsync(authorized!, current, ifMatchVersion, cancellationToken) is { } result)
            {
                return result;
            }
        }

        return TooManyAttempts();
    }

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

    /// <summary>
    /// patch: <paramref name="apply"/> turns the current JSON into the new resource (or an outcome saying why not).
    /// The write is pinned to the version that was patched, so a concurrent write makes the patch start again from
    /// the new version (or answer 412 when the client pinned a version with If-Match).
    /// </summary>
    public async Task<Result> PatchAsync(string resourceType, string id, Func<string, (Resource? Patched, OperationOutcome? Refusal)> apply,
        int? ifMatchVersion, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(apply);
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var current = await Store.ReadAsync(resourceType, id, cancellationToken);
            if (current is null)
            {
                return await LinkedReadOnlyAsync(resourceType, id, cancellationToken) ?? NotFound(resourceType, id);
            }

            if (TypeRefusal(resourceType, "patch") is { } forbidden)
            {
                return forbidden;
            }

            // The patch sees what the caller sees: it cannot test or copy a hidden field.
            if (Visible(current, "read") is not { } view)
            {
                return NotFound(resourceType, id);
            }

            if (current.Deleted)
            {
                return new Result(410, current, FhirErrors.Outcome(OperationOutcome.IssueType.Deleted, $"{resourceType}/{id} was deleted."));
            }

            var (patched, refusal) = apply(view.Json);
            if (refusal is not null)
            {
                return new Result(400, null, refusal);
            }

            if (patched!.TypeName != resourceType || patched.Id != id)
            {
                return new Result(400, null, FhirErrors.Outcome(OperationOutcome.IssueType.Invalid, "A patch cannot change the resource type or id."));
            }

            var patients = await SettleAccountsAsync(patched, current, null, cancellationToken);
            var (authorized, denied) = Authorize("patch", current, patched);
            if (denied is not null)
            {
                return denied;
            }

            if (await CheckReferencesAsync(authorized!, null, patients, cancellationToken) is { } refused)
            {
                return refused;
            }

            if (await TryWriteAsync(authorized!, current, ifMatchVersion, cancellationToken) is { } result)
            {
                return result;
            }
        }

        return TooManyAttempts();
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

    /// <summary>delete: a new version that records the deletion; history keeps every version.</summary>
    public async Task<Result> DeleteAsync(string resourceType, string id, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var current = await Store.ReadAsync(resourceType, id, cancellationToken);
            if (current is null)
            {
                return await LinkedReadOnlyAsync(resourceType, id, cancellationToken) ?? new Result(204);
            }

            if (current.Deleted)
            {
                return new Result(204);
            }

            // A resource the caller cannot see is deleted exactly as much as a missing one: not at all, 204.
            if (Authorize("delete", current, null) is { Refusal: { } denied })
            {
                return denied.Status == 404 ? new Result(204) : denied;
            }

            var (committed, tooLarge) = await CommitAsync([new ResourceWrite(Deletion(current), current)], [], cancellationToken);
            if (tooLarge is not null)
            {
                return tooLarge;
            }

            if (committed is [var stored])
            {
                return new Result(204, stored);
            }
        }

        return TooManyAttempts();
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

    /// <summary>
    /// Writes <paramref name="resource"/> as the version after <paramref name="current"/> (the version the caller
    /// read). Null when another write came first and the caller should read again; 412 when the client pinned a
    /// version that is not (or no longer) current.
    /// </summary>
    private async Task<Result?> TryWriteAsync(Resource resource, StoredResource? current, int? ifMatchVersion, CancellationToken cancellationToken)
    {
        if (ifMatchVersion is { } expected && current?.VersionId != expected)
        {
            return new Result(412, null, FhirErrors.Outcome(OperationOutcome.IssueType.Conflict,
                $"If-Match asked for version {expected}; the current version is {current?.VersionId.ToString(CultureInfo.InvariantCulture) ?? "none"}."));
        }

        if (Unchanged(current, resource))
        {
            return Present(new Result(200, current));
        }

        var (committed, tooLarge) = await CommitAsync([new ResourceWrite(NextVersion(resource, current), current)], [], cancellationToken);
        if (tooLarge is not null)
        {
            return tooLarge;
        }

        if (committed is [var stored])
        {
            return Present(new Result(current is null ? 201 : 200, stored));
        }

        return ifMatchVersion is null
            ? null
            : new Result(412, null, FhirErrors.Outcome(OperationOutcome.IssueType.Conflict, "Another update came first."));
    }

    /// <summary>Commits to the caller's project; a write the store cannot hold is a 413 answer, not an exception.</summary>
    private async Task<(IReadOnlyList<StoredResource>? Committed, Result? TooLarge)> CommitAsync(IReadOnlyList<ResourceWrite> writes,
        IReadOnlyList<CommitGuard> guards, CancellationToken cancellationToken)
    {
        try
        {
            return (await Store.CommitAsync(writes, guards, cancellationToken), null);
        }
        catch (CommitTooLargeException ex)
        {
            return (null, TooLarge(ex));
        }
    }

    /// <summary>The answer to a write the store cannot hold: 413 for a resource too large, 400 for too many operations.</summary>
    private static Result TooLarge(CommitTooLargeException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return new(exception.Answer.Status, null, FhirErrors.Outcome(exception.Answer.Code, exception.Message));
    }

    /// <summary>403 when the resource is not in the project but in a linked one (read-only); null when it is in neither.</summary>
    internal async Task<Result?> LinkedReadOnlyAsync(string resourceType, string id, CancellationToken cancellationToken)
    {
        foreach (var linked in access.Scope.LinkedProjectsExporting(resourceType))
        {
            if (await Linked(linked).ReadAsync(resourceType, id, cancellationToken) is not null)
            {
                return new Result(403, null, FhirErrors.Outcome(OperationOutcome.IssueType.Forbidden,
                    $"{resourceType}/{id} belongs to a linked project: it can be read, not written."));
            }
        }

        return null;
    }

    /// <summary>
    /// Settles <paramref name="candidate"/>'s accounts before the policy judges it: a project admin's are as given;
    /// anyone else keeps the stored version's (or, creating, gets the policy's <c>compartment</c>s) — only admins set
    /// accounts. Unless the project turned it off, a resource about patients also takes their accounts (patients
    /// written in the same transaction come from <paramref name="pending"/>). Returns the patients it read, so the
    /// reference check need not read them again.
    /// </summary>
    internal async Task<IReadOnlyList<StoredResource>> SettleAccountsAsync(Resource candidate, StoredResource? current,
        IReadOnlyDictionary<string, Resource>? pending, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        var accounts = new List<string>(access.ProjectAdmin ? Accounts.Of(candidate)
            : current is { Deleted: false } && ResourceParser.TryParse(current.Json, out var stored, out _) ? Accounts.Of(stored!)
            : access.Policy.Accounts);
        var patients = new List<StoredResource>();
        if (access.InheritAccounts && candidate is not Patient)
        {
            var about = ResourceIndexer.Index(candidate, s_compartmentCodes).Compartments
                .Where(c => c.StartsWith("Patient/", StringComparison.Ordinal)).Distinct(StringComparer.Ordinal).ToList();
            accounts.AddRange(about.Select(p => pending?.GetValueOrDefault(p)).OfType<Resource>().SelectMany(Accounts.Of));
            var toRead = about.Where(p => pending?.ContainsKey(p) != true).ToList();
            if (toRead.Count > 0)
            {
                patients.AddRange(await Store.ReadManyAsync(toRead, cancellationToken));
                accounts.AddRange(patients.SelectMany(p => ResourceParser.TryParse(p.Json, out var patient, out _) ? Accounts.Of(patient!) : []));
            }
        }

        Accounts.Set(candidate, accounts);
        return patients;
    }

    private static readonly HashSet<string> s_compartmentCodes = ["_compartment"];

    /// <summary>
    /// 400 naming the first reference (by FHIRPath) to a resource that is neither in the project, nor in a linked
    /// project, nor among <paramref name="pending"/> (resources written in the same transaction). Resources already
    /// read (<paramref name="known"/>) are not read again.
    /// </summary>
    internal async Task<Result?> CheckReferencesAsync(Resource resource, IReadOnlySet<string>? pending, IReadOnlyList<StoredResource> known,
        CancellationToken cancellationToken)
    {
        // Accounts are tenant labels the server settles (see SettleAccountsAsync), not references the caller chose.
        var references = ReferenceCheck.References(resource)
            .Where(r => !r.Path.StartsWith($"{resource.TypeName}.meta.extension", StringComparison.Ordinal)).ToList();
        if (references.Count == 0)
        {
            return null;
        }

        foreach (var (path, reference) in references)
        {
            if (ReferenceCheck.Target(reference) is null)
            {
                return new Result(400, null, FhirErrors.Outcome(OperationOutcome.IssueType.Invalid,
                    $"'{reference}' is not a reference this server understands (Type/id, #contained or an absolute URL).", path));
            }
        }

        var wanted = references.Select(r => ReferenceCheck.Target(r.Reference)!)
            .Where(t => pending is null || !pending.Contains(t)).ToHashSet(StringComparer.Ordinal);
        wanted.ExceptWith(known.Where(Readable).Select(k => k.Reference));
        if (wanted.Count > 0)
        {
            wanted.ExceptWith(await ReachableAsync(Store, wanted, cancellationToken));
        }

        foreach (var linked in access.Scope.Links)
        {
            var exported = wanted.Where(w => linked.ExportedResourceTypes.Count == 0 || linked.ExportedResourceTypes.Contains(w[..w.IndexOf('/', StringComparison.Ordinal)])).ToList();
            if (exported.Count > 0)
            {
                wanted.ExceptWith(await ReachableAsync(Linked(linked.ProjectId), exported, cancellationToken));
            }
        }

        var (missingPath, missing) = references.FirstOrDefault(r => wanted.Contains(ReferenceCheck.Target(r.Reference)!));
        return missing is null
            ? null
            : new Result(400, null, FhirErrors.Outcome(OperationOutcome.IssueType.Invalid,
                $"{missingPath} refers to {missing}, which is not in this project or a project it links to.", missingPath));
    }

    /// <summary>
    /// Which of <paramref name="references"/> exist in <paramref name="project"/> and the caller may read: a reference
    /// to a resource the caller cannot see is refused like one to a missing resource, so writes cannot probe.
    /// </summary>
    private async Task<IEnumerable<string>> ReachableAsync(IProjectResources project, IReadOnlyCollection<string> references, CancellationToken cancellationToken) =>
        access.Policy.IsUnrestricted
            ? await project.ExistingAsync(references, cancellationToken)
            : (await project.ReadManyAsync(references, cancellationToken)).Where(Readable).Select(r => r.Reference);

    /// <summary>Whether the caller may read the current (not deleted) <paramref name="version"/>: no view is built.</summary>
    private bool Readable(StoredResource version) => !version.Deleted && (access.Policy.IsUnrestricted || Allowed(version, "read") is not null);

    /// <summary>The parsed <paramref name="version"/> when the caller's policy lets <paramref name="interaction"/> touch it; otherwise null.</summary>
    private Resource? Allowed(StoredResource version, string interaction) =>
        ResourceParser.TryParse(version.Json, out var resource, out _) && access.Policy.Decide(interaction, resource!, version.LastUpdated, time.GetUtcNow()) is not null
            ? resource
            : null;

    /// <summary>403 when the caller's policy allows <paramref name="interaction"/> on no resource of <paramref name="type"/>.</summary>
    private Result? TypeRefusal(string type, string interaction) =>
        access.Policy.AllowsType(type, interaction) ? null
            : new Result(403, null, FhirErrors.Outcome(OperationOutcome.IssueType.Forbidden, $"Your access policy does not allow {interaction} on {type}."));

    /// <summary>
    /// What the caller may see of <paramref name="version"/> for <paramref name="interaction"/>: null when its policy
    /// does not let it (a deletion is visible only where every resource of the type is), else the version without its
    /// hidden fields.
    /// </summary>
    internal StoredResource? Visible(StoredResource version, string interaction)
    {
        if (access.Policy.IsUnrestricted)
        {
            return version;
        }

        if (version.Deleted)
        {
            return access.Policy.AllowsEvery(version.ResourceType, interaction) ? version : null;
        }

        return Allowed(version, interaction) is { } resource ? Shown(version, resource) : null;
    }

    /// <summary><paramref name="version"/> without the fields the caller's policy hides.</summary>
    internal StoredResource Shown(StoredResource version) =>
        access.Policy.HidesFields(version.ResourceType) && !version.Deleted && ResourceParser.TryParse(version.Json, out var resource, out _) ? Shown(version, resource!) : version;

    private StoredResource Shown(StoredResource version, Resource resource)
    {
        if (!access.Policy.HidesFields(version.ResourceType))
        {
            return version;
        }

        var json = JsonNode.Parse(version.Json)!.AsObject();
        return access.Policy.Hide(resource, version.LastUpdated, time.GetUtcNow(), json) ? version with { Json = json.ToJsonString(s_relaxed) } : version;
    }

    private static readonly JsonSerializerOptions s_relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary><paramref name="result"/> with its resource shown as the caller may see it.</summary>
    internal Result Present(Result result) => result.Resource is { } resource ? result with { Resource = Shown(resource) } : result;

    /// <summary>
    /// Checks a write against <see cref="WriteRules"/> (400) and the caller's policy (see
    /// <see cref="EffectivePolicy.AuthorizeWrite"/>): the candidate to store, with hidden and read-only fields kept
    /// from <paramref name="current"/>; or 403 naming the rule, or 404 when the stored version is not even visible to the caller.
    /// </summary>
    internal (Resource? Resource, Result? Refusal) Authorize(string interaction, StoredResource? current, Resource? candidate)
    {
        // Every write passes here, so this is where the rules of what may be stored are checked (ids, narratives).
        if (candidate is not null && WriteRules.Check(candidate) is { } invalid)
        {
            return (null, new Result(400, null, invalid));
        }

        var type = candidate?.TypeName ?? current!.ResourceType;
        if (access.Policy.IsUnrestricted)
        {
            return (candidate, TypeRefusal(type, interaction));
        }

        Resource? before = null;
        if (current is { Deleted: false } && !ResourceParser.TryParse(current.Json, out before, out _))
        {
            throw new InvalidOperationException($"The stored {current.Reference} does not parse.");
        }

        var decision = access.Policy.AuthorizeWrite(interaction, before, current?.LastUpdated ?? default, candidate, time.GetUtcNow());
        return decision switch
        {
            { Invisible: true } => (null, NotFound(type, current!.Id)),
            { Denial: { } denial } => (null, new Result(403, null, FhirErrors.Outcome(OperationOutcome.IssueType.Forbidden, denial, decision.Rule?.Source))),
            _ => (decision.Resource, null),
        };
    }

    /// <summary>Whether writing <paramref name="resource"/> over <paramref name="current"/> would change nothing.</summary>
    internal static bool Unchanged(StoredResource? current, Resource resource) =>
        current is { Deleted: false } && SameContent(current.Json, resource);

    /// <summary>The version after <paramref name="current"/> (or version 1) with its index.</summary>
    internal StoredResource NextVersion(Resource resource, StoredResource? current) => NewVersion(resource, (current?.VersionId ?? 0) + 1);

    /// <summary>The deletion version after <paramref name="current"/>.</summary>
    internal StoredResource Deletion(StoredResource current) =>
        new(current.ResourceType, current.Id, current.VersionId + 1, time.GetUtcNow(), true, string.Empty, string.Empty);

    internal static string NewId() => Guid.NewGuid().ToString();

    private StoredResource NewVersion(Resource resource, int versionId)
    {
        var now = time.GetUtcNow();
        resource.Meta ??= new Meta();
        resource.Meta.VersionId = versionId.ToString(CultureInfo.InvariantCulture);
        resource.Meta.LastUpdated = now;
        return new StoredResource(resource.TypeName, resource.Id!, versionId, now, false, JsonSerializer.Serialize(resource, ResourceParser.Options), string.Empty)
        {
            Index = ResourceIndexer.Index(resource),
        };
    }

    /// <summary>Whether the stored JSON and the candidate differ only in meta.versionId and meta.lastUpdated.</summary>
    private static bool SameContent(string storedJson, Resource candidate) =>
        JsonNode.DeepEquals(WithoutVersionMeta(JsonNode.Parse(storedJson)), WithoutVersionMeta(JsonSerializer.SerializeToNode(candidate, ResourceParser.Options)));

    private static JsonNode? WithoutVersionMeta(JsonNode? resource)
    {
        if (resource?["meta"] is JsonObject meta)
        {
            meta.Remove("versionId");
            meta.Remove("lastUpdated");
            if (meta.Count == 0)
            {
                resource.AsObject().Remove("meta");
            }
        }

        return resource;
    }

    internal static Result TooManyAttempts() =>
        new(409, null, FhirErrors.Outcome(OperationOutcome.IssueType.Conflict, "Too many concurrent updates; retry."));

    internal static Result MultipleMatches(string type, string criteria) =>
        new(412, null, FhirErrors.Outcome(OperationOutcome.IssueType.MultipleMatches, $"More than one {type} matches '{criteria}'."));

    private static Result NotFound(string type, string id) =>
        new(404, null, FhirErrors.Outcome(OperationOutcome.IssueType.NotFound, $"{type}/{id} is not known."));
}
