using Enclave.Domain.Search;

namespace Enclave.Domain.Fhir;

/// <summary>One version of a resource as stored: its identity, version, time, whether it is a deletion, and its JSON.</summary>
/// <param name="ResourceType">The FHIR resource type.</param>
/// <param name="Id">The logical id.</param>
/// <param name="VersionId">The version, from 1.</param>
/// <param name="LastUpdated">When this version was written.</param>
/// <param name="Deleted">Whether this version records a deletion.</param>
/// <param name="Json">The resource's JSON with <c>meta.versionId</c> and <c>meta.lastUpdated</c> set (empty for a deletion).</param>
/// <param name="ETag">The store's concurrency token of the current document (not the FHIR ETag).</param>
public sealed record StoredResource(string ResourceType, string Id, int VersionId, DateTimeOffset LastUpdated, bool Deleted, string Json, string ETag)
{
    /// <summary>The search index of a version being written (null for deletions and for versions read back).</summary>
    public ResourceIndex? Index { get; init; }

    /// <summary><c>Type/id</c>.</summary>
    public string Reference => $"{ResourceType}/{Id}";
}
