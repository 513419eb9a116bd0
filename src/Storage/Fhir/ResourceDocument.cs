using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Enclave.Domain.Fhir;
using Enclave.Domain.Search;

namespace Enclave.Storage.Fhir;

/// <summary>
/// A FHIR resource in its project's partition. The current document has id <c>Type:id</c>; each version is an
/// immutable copy with id <c>Type:id:version</c>, so a vread is a point read. Cosmos ids may not contain "/".
/// </summary>
internal sealed record ResourceDocument
{
    [JsonPropertyName("id")]
    public required string Id { get; init; }

    [JsonPropertyName("projectId")]
    public required string ProjectId { get; init; }

    [JsonPropertyName("kind")]
    public required string Kind { get; init; }

    [JsonPropertyName("resourceType")]
    public required string ResourceType { get; init; }

    [JsonPropertyName("resourceId")]
    public required string ResourceId { get; init; }

    [JsonPropertyName("versionId")]
    public required int VersionId { get; init; }

    [JsonPropertyName("lastUpdated"), JsonConverter(typeof(InstantTextConverter))]
    public required DateTimeOffset LastUpdated { get; init; }

    [JsonPropertyName("deleted")]
    public bool Deleted { get; init; }

    /// <summary>The resource's JSON as stored, written into the document as it is (never parsed again on the way).</summary>
    [JsonPropertyName("resource"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), JsonConverter(typeof(RawJsonConverter))]
    public ReadOnlyMemory<byte>? Resource { get; init; }

    /// <summary>The search index written with a current document. Reads never need it back.</summary>
    [JsonIgnore]
    public ResourceIndex? Index { get; init; }

    /// <summary>The index entries (written, never read back: a get-only property is skipped on deserialization).</summary>
    [JsonPropertyName("idx"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull), JsonConverter(typeof(IndexEntryJson.Converter))]
    public IReadOnlyDictionary<string, IReadOnlyList<IndexEntry>>? Idx => Index?.Entries;

    /// <summary>One scalar per parameter for <c>_sort</c> (written, never read back).</summary>
    [JsonPropertyName("sort"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonObject? Sort => Index?.SortKeys;

    /// <summary>
    /// The compartments the resource is in, e.g. <c>Patient/123</c> (written, never read back): on a current document for
    /// searches, on a version so that erasing a patient finds the versions of resources that have left the compartment since.
    /// </summary>
    [JsonPropertyName("compartments"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? Compartments { get; init; }

    /// <summary>When the next version replaced this one (version documents; set by the commit that replaces it).</summary>
    [JsonPropertyName("supersededAt"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? SupersededAt { get; init; }

    [JsonPropertyName("_etag"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public string? ETag { get; init; }

    /// <summary>An audit record's link in its project's hash chain (<c>seq</c>, <c>prev</c>, <c>hash</c>), when it was sealed as it was appended.</summary>
    [JsonPropertyName("chain"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, object>? Chain { get; init; }

    /// <summary>Cosmos DB's per-document time to live, in seconds (audit records: the project's retention).</summary>
    [JsonPropertyName("ttl"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? TimeToLive { get; init; }

    public const string CurrentKind = "resource";
    public const string VersionKind = "version";

    /// <summary>An AuditEvent: never a current or version document, so no FHIR search, history or export meets one.</summary>
    public const string AuditKind = "audit";

    public static string CurrentId(string type, string id) => $"{type}:{id}";

    /// <summary>An audit record's document id: not <c>AuditEvent:id</c>, which a resource written before AuditEvents were the server's could hold.</summary>
    public static string AuditId(string id) => $"audit:{id}";

    public static string VersionDocumentId(string type, string id, int version) =>
        $"{type}:{id}:{version.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    public static ResourceDocument From(string projectId, StoredResource r, string kind) => new()
    {
        Id = kind == CurrentKind ? CurrentId(r.ResourceType, r.Id) : VersionDocumentId(r.ResourceType, r.Id, r.VersionId),
        ProjectId = projectId,
        Kind = kind,
        ResourceType = r.ResourceType,
        ResourceId = r.Id,
        VersionId = r.VersionId,
        LastUpdated = r.LastUpdated,
        Deleted = r.Deleted,
        Resource = r.Deleted ? (ReadOnlyMemory<byte>?)null : r.Utf8Json, // the cast matters: a bare null would convert to an empty memory via byte[], and a deletion would be written with an empty resource
        Index = kind == CurrentKind ? r.Index : null,
        Compartments = r.Index?.Compartments,
    };

    /// <summary>The document of an audit record, kept for its retention (Cosmos DB's ttl is at most about 68 years).</summary>
    public static ResourceDocument Audit(string projectId, Domain.Audit.AuditEntry entry) => From(projectId, entry.Event, CurrentKind) with
    {
        Id = AuditId(entry.Event.Id),
        Kind = AuditKind,
        TimeToLive = (int)Math.Clamp(entry.Retention.TotalSeconds, 1, int.MaxValue),
    };

}
