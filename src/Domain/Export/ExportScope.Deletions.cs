using System.Text.Json;
using System.Text.Json.Nodes;
using Enclave.Domain.Fhir;
using Enclave.Domain.Search;

namespace Enclave.Domain.Export;

// deleted[]: the deletions of an export with _since.
public sealed partial class ExportScope
{
    /// <summary>
    /// The next page of a type's deletions: the versions current at T (the history query's <c>at</c>) that are deletions
    /// written after <c>_since</c>. So a resource deleted and re-created by T is not listed (its re-creation is
    /// current, and in <c>output</c>), one deleted by T and re-created after it is (its deletion was current at T,
    /// and the re-creation is after T, so not in <c>output</c>), and one deleted after T is not (the next export's
    /// business). They are visible as history shows deletions to the membership. Outside the system level a deletion
    /// is in scope when its last version was (in a patient's, a member's compartment; matching a <c>_typeFilter</c>).
    /// Each page with deletions is one transaction Bundle of DELETE entries.
    /// </summary>
    private async Task<ExportPage> DeletionsAsync(ExportTypeProgress current, IReadOnlyList<string>? members, CancellationToken cancellationToken)
    {
        var since = DateRange.TryParse(ExportStep.Instant(job.Request.Since!.Value), out var after) ? after.High : job.Request.Since.Value;
        var at = DateRange.TryParse(ExportStep.Instant(job.TransactionTime), out var snapshot) ? snapshot.High : job.TransactionTime;
        var (versions, next, refusal) = await repository.HistoryAsync(current.Type, null, since, new DateRange(at, at), pageSize, current.Continuation, cancellationToken);
        if (refusal is not null)
        {
            return new ExportPage([], current, refusal);
        }

        var entries = new JsonArray();
        foreach (var deletion in versions.Where(v => v.Deleted && v.LastUpdated > since))
        {
            if (await DeletedInScopeAsync(deletion, members, cancellationToken))
            {
                entries.Add(new JsonObject { ["request"] = new JsonObject { ["method"] = "DELETE", ["url"] = deletion.Reference } });
            }
        }

        var position = next is null ? current with { Continuation = null, Done = true } : current with { Continuation = next };
        return entries.Count == 0
            ? new ExportPage([], position)
            : new ExportPage([JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["resourceType"] = "Bundle", ["type"] = "transaction", ["entry"] = entries })], position);
    }

    /// <summary>Whether a deletion is in the export's scope: always at system level without filters, else as its last version was.</summary>
    private async Task<bool> DeletedInScopeAsync(StoredResource deletion, IReadOnlyList<string>? members, CancellationToken cancellationToken)
    {
        var filters = job.Request.FiltersOf(deletion.ResourceType);
        if (job.Request.Level == ExportLevel.System && filters.Count == 0)
        {
            return true;
        }

        if (job.Request.Level == ExportLevel.Group && deletion.ResourceType == "Group")
        {
            return false; // the group itself is not deleted while its export runs
        }

        var last = deletion.VersionId > 1 ? await repository.VersionReadAsync(deletion.ResourceType, deletion.Id, deletion.VersionId - 1, cancellationToken) : null;
        if (last is not { Status: 200, Resource: { } version } || Parse(version.Json) is not { } resource)
        {
            return false;
        }

        var index = ResourceIndexer.Index(resource);
        var inScope = job.Request.Level == ExportLevel.System
            || (members is null
                ? index.Compartments.Any(c => c.StartsWith("Patient/", StringComparison.Ordinal))
                : index.Compartments.Any(c => c.StartsWith("Patient/", StringComparison.Ordinal) && _chunkOf!.ContainsKey(c["Patient/".Length..])));
        return inScope && (filters.Count == 0 || filters.Any(f => SearchParser.Parse(deletion.ResourceType, f.Parameters, strict: true).Request is { } search
            && InMemorySearch.Matches(search, resource, version.LastUpdated, job.TransactionTime, index)));
    }
}
