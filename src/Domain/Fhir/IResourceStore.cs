using Enclave.Domain.Search;

namespace Enclave.Domain.Fhir;

/// <summary>
/// Where FHIR resources of a project live: a current document per resource plus one immutable document per
/// version. A commit replaces current documents and adds versions in one atomic step.
/// </summary>
public interface IResourceStore
{
    /// <summary>The current version (possibly a deletion), or null when the resource never existed in the project.</summary>
    Task<StoredResource?> ReadAsync(string projectId, string resourceType, string id, CancellationToken cancellationToken);

    /// <summary>One version, or null.</summary>
    Task<StoredResource?> ReadVersionAsync(string projectId, string resourceType, string id, int versionId, CancellationToken cancellationToken);

    /// <summary>
    /// Versions of the project's resources, newest first: of one resource (<paramref name="resourceType"/> and
    /// <paramref name="id"/>), of one type, or of all; only those written at or after <paramref name="since"/>, and
    /// with <paramref name="at"/> only those that were current at some moment of that range.
    /// Returns a page of at most <paramref name="count"/> and the token of the next page, if any.
    /// </summary>
    Task<(IReadOnlyList<StoredResource> Versions, string? Next)> HistoryAsync(string projectId, string? resourceType, string? id,
        DateTimeOffset? since, DateRange? at, int count, string? page, CancellationToken cancellationToken);

    /// <summary>
    /// The current, not deleted resources that match <paramref name="request"/>: a page and the next page's token. The
    /// search reaches the scope's project and, of each linked project, the types it exports.
    /// </summary>
    Task<(IReadOnlyList<StoredResource> Resources, string? Next)> SearchAsync(ProjectScope scope, SearchRequest request, string? page, CancellationToken cancellationToken);

    /// <summary>How many current, not deleted resources match <paramref name="request"/> in what <paramref name="scope"/> reaches.</summary>
    Task<int> CountAsync(ProjectScope scope, SearchRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// At most <paramref name="limit"/> references (<c>Type/id</c>, distinct): of the matches of <paramref name="request"/>,
    /// or, with <paramref name="referenceCode"/>, the references the matches hold in that parameter.
    /// </summary>
    Task<IReadOnlyList<string>> SelectReferencesAsync(string projectId, SearchRequest request, string? referenceCode, int limit, CancellationToken cancellationToken);

    /// <summary>The current, not deleted resources among <paramref name="references"/> (<c>Type/id</c>).</summary>
    Task<IReadOnlyList<StoredResource>> ReadManyAsync(string projectId, IReadOnlyCollection<string> references, CancellationToken cancellationToken);

    /// <summary>Which of <paramref name="references"/> (<c>Type/id</c>) exist and are not deleted.</summary>
    Task<IReadOnlySet<string>> ExistingAsync(string projectId, IReadOnlyCollection<string> references, CancellationToken cancellationToken);

    /// <summary>The ETag of the guard <paramref name="key"/>, or null when there is none.</summary>
    Task<string?> ReadGuardAsync(string projectId, string key, CancellationToken cancellationToken);

    /// <summary>
    /// Writes every version and guard atomically: all or nothing. Returns the stored versions (with their ETags), or
    /// null when a replaced version is no longer current, a new resource already exists, or a guard changed.
    /// Throws <see cref="CommitTooLargeException"/> when the commit cannot be one atomic write.
    /// </summary>
    Task<IReadOnlyList<StoredResource>?> CommitAsync(string projectId, IReadOnlyList<ResourceWrite> writes, IReadOnlyList<CommitGuard> guards, CancellationToken cancellationToken);
}
