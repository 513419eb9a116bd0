namespace Enclave.Domain.Fhir;

/// <summary>
/// Where FHIR resources of a project live: a current document per resource plus one immutable document per
/// version. A write replaces the current document and adds the version in one atomic step.
/// </summary>
public interface IResourceStore
{
    /// <summary>The current version (possibly a deletion), or null when the resource never existed in the project.</summary>
    Task<StoredResource?> ReadAsync(string projectId, string resourceType, string id, CancellationToken cancellationToken);

    /// <summary>One version, or null.</summary>
    Task<StoredResource?> ReadVersionAsync(string projectId, string resourceType, string id, int versionId, CancellationToken cancellationToken);

    /// <summary>
    /// Versions of the project's resources, newest first: of one resource (<paramref name="resourceType"/> and
    /// <paramref name="id"/>), of one type, or of all; only those written at or after <paramref name="since"/>.
    /// Returns a page of at most <paramref name="count"/> and the token of the next page, if any.
    /// </summary>
    Task<(IReadOnlyList<StoredResource> Versions, string? Next)> HistoryAsync(string projectId, string? resourceType, string? id,
        DateTimeOffset? since, int count, string? page, CancellationToken cancellationToken);

    /// <summary>
    /// Writes <paramref name="version"/> as the new current version and its history entry, atomically. With
    /// <paramref name="replacing"/> null the resource must not exist yet; otherwise the current document must still
    /// be that one. Returns the stored version, or null when another write came first.
    /// </summary>
    Task<StoredResource?> WriteAsync(string projectId, StoredResource version, StoredResource? replacing, CancellationToken cancellationToken);
}
