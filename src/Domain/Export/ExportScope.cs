using System.Globalization;
using System.Text;
using System.Text.Json;
using Enclave.Domain.Fhir;
using Enclave.Domain.Search;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace Enclave.Domain.Export;

/// <summary>
/// What one page of an export searches, as the job's membership, within the snapshot (<c>_lastUpdated ≤ T</c>, and
/// after <c>_since</c>): at system level the type; at Patient level the type's resources in some patient's compartment
/// (or, with <c>patient</c>, in those patients'); at Group level the compartments of the group's member patients,
/// read from the group's version at kick-off. Members are searched in chunks of <c>chunkSize</c> patients
/// (sorted ids), each chunk its own search with its own continuation, so no query names more than a chunk whatever
/// the group's size. A resource in the compartments of several chunks is written by the first chunk only: a later
/// chunk drops every match that is also in an earlier chunk's compartment, so each resource is written once.
/// At Group level the type Group holds the group itself, never the other groups its members are in.
/// </summary>
/// <param name="job">The job.</param>
/// <param name="repository">The job's membership's view of the project.</param>
/// <param name="pageSize">Resources per page.</param>
/// <param name="chunkSize">Member patients per search.</param>
public sealed partial class ExportScope(ExportJob job, FhirRepository repository, int pageSize, int chunkSize) : IExportPages
{
    private IReadOnlyList<string>? _members;
    private Dictionary<string, int>? _chunkOf;

    /// <summary>The next page of <paramref name="current"/>, of at most <paramref name="count"/> resources searched (and the page size).</summary>
    public async Task<ExportPage> NextAsync(ExportTypeProgress current, int count, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(current);
        var (members, refusal) = await MembersAsync(cancellationToken);
        if (refusal is not null)
        {
            return new ExportPage([], current, refusal);
        }

        if (current.Deleted)
        {
            return await DeletionsAsync(current, members, cancellationToken);
        }

        var groupItself = job.Request.Level == ExportLevel.Group && current.Type == "Group";
        var chunks = members is null || groupItself ? 1 : (members.Count + chunkSize - 1) / chunkSize;
        var filters = job.Request.FiltersOf(current.Type);
        var searches = Math.Max(filters.Count, 1) * chunks; // filter-major: every chunk of the first filter, then of the next
        if (current.Search >= searches)
        {
            return new ExportPage([], current with { Done = true, Continuation = null }); // an empty group: nothing
        }

        var (filter, chunk) = (current.Search / chunks, current.Search % chunks);
        var (request, invalid) = SearchParser.Parse(current.Type, filters.Count == 0 ? Snapshot() : Snapshot().Concat(filters[filter].Parameters), strict: true);
        if (request is null)
        {
            return new ExportPage([], current, invalid);
        }

        request = request with { Criteria = [.. request.Criteria, .. Scope(members, chunk, groupItself)], Count = Math.Min(count, request.Count) };
        var (page, failed) = await repository.SearchAsync(request, current.Continuation, cancellationToken);
        if (failed is not null)
        {
            return new ExportPage([], current, failed);
        }

        var byChunk = members is not null && !groupItself;
        var kept = current.Search == 0 && !byChunk ? page!.Matches
            : [.. page!.Matches.Where(m => !WrittenBefore(m, filters, filter, byChunk ? chunk : null))];
        var next = page.Next is not null ? current with { Continuation = page.Next }
            : current.Search + 1 < searches ? current with { Continuation = null, Search = current.Search + 1 }
            : current with { Continuation = null, Done = true };
        var elements = job.Request.ElementsOf(current.Type);
        return new ExportPage([.. kept.Select(m => elements.Count == 0 ? m.Utf8Json : Encoding.UTF8.GetBytes(ElementSubset.Trim(m.ResourceType, m.Json, elements)))], next);
    }

    /// <summary>
    /// Whether another search of the type writes <paramref name="match"/> (found by search <paramref name="filter"/>,
    /// <paramref name="chunk"/>): every search has the same snapshot, policy and level bounds, so a match of member
    /// chunks is written only by the first chunk whose compartment holds it (as the caller sees it: the search matched
    /// that chunk too), and a match of an earlier filter was written by that filter's searches. Each resource is so
    /// written by exactly one search. Compartments are read from the match as the caller sees it, so one placed in the
    /// members' compartments only by fields the caller's policy hides is not written (a search would show it). Filters
    /// are matched in memory as the search would (chains are not allowed in them).
    /// </summary>
    private bool WrittenBefore(StoredResource match, IReadOnlyList<ExportTypeFilter> filters, int filter, int? chunk)
    {
        if (Parse(match.Json) is not { } resource)
        {
            return false;
        }

        var index = ResourceIndexer.Index(resource, filter == 0 ? s_compartmentOnly : null);
        if (chunk is { } current && FirstChunk(index) != current)
        {
            return true;
        }

        for (var earlier = 0; earlier < filter; earlier++)
        {
            if (SearchParser.Parse(match.ResourceType, filters[earlier].Parameters, strict: true).Request is { } search
                && InMemorySearch.Matches(search, resource, match.LastUpdated, job.TransactionTime, index))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The criterion that keeps a search in the level's scope: nothing at system level, the group itself for Group at
    /// Group level, else the chunk's compartments (or, at Patient level without <c>patient</c>, any patient's).
    /// </summary>
    private SearchCriterion? ScopeCriterion(IReadOnlyList<string>? members, int chunk, bool groupItself) =>
        job.Request.Level == ExportLevel.System ? null
        : groupItself ? new SearchCriterion("_id", SearchParamType.Token, null, [job.Request.GroupId!])
        : members is null ? new SearchCriterion("_compartment", SearchParamType.Reference, "type", ["Patient"])
        : new SearchCriterion("_compartment", SearchParamType.Reference, null, [.. members.Skip(chunk * chunkSize).Take(chunkSize).Select(id => $"Patient/{id}")]);

    private IEnumerable<SearchCriterion> Scope(IReadOnlyList<string>? members, int chunk, bool groupItself) =>
        ScopeCriterion(members, chunk, groupItself) is { } criterion ? [criterion] : [];

    /// <summary>
    /// A resource as the caller sees it, parsed: without its hidden fields it may lack a mandatory element, which the strict
    /// parser refuses, so what parses of it is taken (its compartments and searchable values are all there).
    /// </summary>
    public static Resource? Parse(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<Resource>(json, ResourceParser.Options);
        }
        catch (DeserializationFailedException failed)
        {
            return failed.PartialResult as Resource;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The first member chunk whose compartment holds the indexed resource, or null when none is seen in it.</summary>
    private int? FirstChunk(ResourceIndex index)
    {
        int? first = null;
        foreach (var compartment in index.Compartments)
        {
            if (_chunkOf is not null && compartment.StartsWith("Patient/", StringComparison.Ordinal) && _chunkOf.TryGetValue(compartment["Patient/".Length..], out var chunk))
            {
                first = first is null ? chunk : Math.Min(first.Value, chunk);
            }
        }

        return first;
    }

    private static readonly HashSet<string> s_compartmentOnly = new(StringComparer.Ordinal) { "_compartment" };

    /// <summary>
    /// The member patients' ids, sorted (null: every patient's compartment): the <c>patient</c> list, or the group's
    /// active Patient members at its kick-off version (restricted to <c>patient</c> if given). A group the membership can
    /// no longer read stops the job (not found, so the step does not take it for a type to pass over).
    /// </summary>
    private async Task<(IReadOnlyList<string>? Members, OperationOutcome? Refusal)> MembersAsync(CancellationToken cancellationToken)
    {
        if (_members is not null || job.Request.Level == ExportLevel.System || (job.Request.Level == ExportLevel.Patient && job.Request.Patients.Count == 0))
        {
            return (_members, null);
        }

        IEnumerable<string> members = job.Request.Patients;
        if (job.Request.Level == ExportLevel.Group)
        {
            var read = await repository.VersionReadAsync("Group", job.Request.GroupId!, job.Request.GroupVersion, cancellationToken);
            if (read.Status != 200 || Parse(read.Resource!.Json) is not Group group)
            {
                return (null, FhirErrors.Outcome(OperationOutcome.IssueType.NotFound, $"Group/{job.Request.GroupId} can no longer be read."));
            }

            var restricted = job.Request.Patients.Count == 0 ? null : job.Request.Patients.ToHashSet(StringComparer.Ordinal);
            members = MemberIds(group).Where(id => restricted is null || restricted.Contains(id));
        }

        _members = [.. members.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        _chunkOf = _members.Select((id, i) => (id, i)).ToDictionary(m => m.id, m => m.i / chunkSize, StringComparer.Ordinal);
        return (_members, null);
    }

    /// <summary>The ids of a group's active members that are local Patient references.</summary>
    public static IEnumerable<string> MemberIds(Group group)
    {
        ArgumentNullException.ThrowIfNull(group);
        foreach (var member in group.Member.Where(m => m.Inactive != true))
        {
            if (member.Entity?.Reference is { } reference && LocalReference.TryParse(reference, out var type, out var id) && type == "Patient")
            {
                yield return id;
            }
        }
    }

    /// <summary>The search that bounds a page to the snapshot: changed at or before T (and after <c>_since</c>).</summary>
    private IEnumerable<KeyValuePair<string, string>> Snapshot()
    {
        yield return new("_lastUpdated", "le" + ExportStep.Instant(job.TransactionTime));
        if (job.Request.Since is { } since)
        {
            yield return new("_lastUpdated", "gt" + ExportStep.Instant(since));
        }

        yield return new("_count", pageSize.ToString(CultureInfo.InvariantCulture));
    }
}
