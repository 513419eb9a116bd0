using Enclave.Domain.Search;

namespace Enclave.Domain.Fhir;

/// <summary>
/// The resources of one <see cref="Scope"/> (from <see cref="IResourceStore.For"/>): a current document per resource
/// plus one immutable document per version, in the scope's project. A commit replaces current documents and adds
/// versions in one atomic step. Searches and counts also reach the scope's linked projects; nothing else does.
/// </summary>
public interface IProjectResources
{
    /// <summary>The scope this view is bound to.</summary>
    ProjectScope Scope { get; }

    /// <summary>The current version (possibly a deletion), or null when the resource never existed in the project.</summary>
    Task<StoredResource?> ReadAsync(string resourceType, string id, CancellationToken cancellationToken);

    /// <summary>One version, or null.</summary>
    Task<StoredResource?> ReadVersionAsync(string resourceType, string id, int versionId, CancellationToken cancellationToken);

    /// <summary>
    /// Versions of the project's resources, newest first: of one resource (<paramref name="resourceType"/> and
    /// <paramref name="id"/>), of one type, or of all; only those written at or after <paramref name="since"/>, and
    /// with <paramref name="at"/> only those that were current at some moment of that range.
    /// Returns a page of at most <paramref name="count"/> and the token of the next page, if any.
    /// </summary>
    Task<(IReadOnlyList<StoredResource> Versions, string? Next)> HistoryAsync(string? resourceType, string? id,
        DateTimeOffset? since, DateRange? at, int count, string? page, CancellationToken cancellationToken);

    /// <summary>
    /// The current, not deleted resources that match <paramref name="request"/>: a page and the next page's token. The
    /// search reaches the scope's project and, of each linked project, the types it exports.
    /// </summary>
    Task<(IReadOnlyList<StoredResource> Resources, string? Next)> SearchAsync(SearchRequest request, string? page, CancellationToken cancellationToken);

    /// <summary>How many current, not deleted resources match <paramref name="request"/> in what the scope reaches.</summary>
    Task<int> CountAsync(SearchRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// At most <paramref name="limit"/> references (<c>Type/id</c>, distinct) in the project: of the matches of
    /// <paramref name="request"/>, or, with <paramref name="referenceCode"/>, the references the matches hold in that parameter.
    /// </summary>
    Task<IReadOnlyList<string>> SelectReferencesAsync(SearchRequest request, string? referenceCode, int limit, CancellationToken cancellationToken);

    /// <summary>The current, not deleted resources of the project among <paramref name="references"/> (<c>Type/id</c>).</summary>
    Task<IReadOnlyList<StoredResource>> ReadManyAsync(IReadOnlyCollection<string> references, CancellationToken cancellationToken);

    /// <summary>Which of <paramref name="references"/> (<c>Type/id</c>) exist in the project and are not deleted.</summary>
    Task<IReadOnlySet<string>> ExistingAsync(IReadOnlyCollection<string> references, CancellationToken cancellationToken);

    /// <summary>The ETag of the project's guard <paramref name="key"/>, or null when there is none.</summary>
    Task<string?> ReadGuardAsync(string key, CancellationToken cancellationToken);

    /// <summary>
    /// Erases <paramref name="resourceType"/>/<paramref name="id"/> from the project: its current document and every
    /// version, for good. Returns how many documents it removed (0 when there was nothing). Idempotent: a retry after a
    /// failure finishes the job.
    /// </summary>
    Task<int> ExpungeAsync(string resourceType, string id, CancellationToken cancellationToken);

    /// <summary>
    /// Erases, for good, up to <paramref name="limit"/> version documents that were in <paramref name="compartment"/>
    /// (<c>Patient/id</c>) when they were written: once the compartment's current resources are erased, these are the
    /// earlier versions of resources deleted since or moved out of it. Returns how many it erased and the resources
    /// (<c>Type/id</c>) they were versions of; none when none is left.
    /// </summary>
    Task<(int Removed, IReadOnlyList<string> Resources)> ExpungeVersionsInAsync(string compartment, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// The versions of <paramref name="resourceType"/> written at or before <paramref name="upTo"/>, each with its
    /// <see cref="StoredResource.SupersededAt"/>; with <paramref name="currentOnly"/> only those current at that instant
    /// and not deletions. In no particular order; a page of at most <paramref name="count"/> and the next page's token.
    /// </summary>
    Task<(IReadOnlyList<StoredResource> Versions, string? Next)> VersionsAsync(string resourceType, DateTimeOffset upTo, bool currentOnly, int count,
        string? page, CancellationToken cancellationToken);

    /// <summary>Whether the project holds any resource or version at all (a restore goes only into a project that holds none).</summary>
    Task<bool> AnyAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Puts restored versions back as they were, atomically: each version document (with its
    /// <see cref="StoredResource.SupersededAt"/>), and for a version without one the current document with its index.
    /// Writing the same versions again changes nothing. Throws <see cref="CommitTooLargeException"/> past one atomic write.
    /// </summary>
    Task RestoreAsync(IReadOnlyList<StoredResource> versions, CancellationToken cancellationToken);

    /// <summary>
    /// Writes every version and guard in the project atomically, with the audit records of the writes: all or nothing.
    /// Returns the stored versions (with their ETags), or null when a replaced version is no longer current, a new
    /// resource already exists, or a guard changed. Throws <see cref="CommitTooLargeException"/> when the commit cannot
    /// be one atomic write.
    /// </summary>
    Task<IReadOnlyList<StoredResource>?> CommitAsync(IReadOnlyList<ResourceWrite> writes, IReadOnlyList<CommitGuard> guards,
        IReadOnlyList<Audit.AuditEntry> audit, CancellationToken cancellationToken);
}
