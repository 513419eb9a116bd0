using System.Text;
using Enclave.Domain.Search;

namespace Enclave.Domain.Fhir;

/// <summary>
/// One version of a resource as stored: its identity, version, time, whether it is a deletion, and its JSON. The JSON
/// is kept in the form it arrived in: UTF-8 bytes from the store (sent to a client as they are), or text from a write;
/// the other form is made once, when first asked for.
/// </summary>
public sealed record StoredResource
{
    private string? _json;
    private byte[]? _utf8Json; // reference fields: a lazy fill races harmlessly

    /// <summary>A version whose JSON is text (a version being written).</summary>
    public StoredResource(string resourceType, string id, int versionId, DateTimeOffset lastUpdated, bool deleted, string json, string eTag)
        : this(resourceType, id, versionId, lastUpdated, deleted, eTag) => _json = json;

    /// <summary>A version whose JSON is UTF-8 bytes (a version read from the store).</summary>
    public StoredResource(string resourceType, string id, int versionId, DateTimeOffset lastUpdated, bool deleted, byte[] utf8Json, string eTag)
        : this(resourceType, id, versionId, lastUpdated, deleted, eTag) => _utf8Json = utf8Json;

    private StoredResource(string resourceType, string id, int versionId, DateTimeOffset lastUpdated, bool deleted, string eTag)
    {
        ResourceType = resourceType;
        Id = id;
        VersionId = versionId;
        LastUpdated = lastUpdated;
        Deleted = deleted;
        ETag = eTag;
    }

    /// <summary>The FHIR resource type.</summary>
    public string ResourceType { get; init; }

    /// <summary>The logical id.</summary>
    public string Id { get; init; }

    /// <summary>The version, from 1.</summary>
    public int VersionId { get; init; }

    /// <summary>When this version was written.</summary>
    public DateTimeOffset LastUpdated { get; init; }

    /// <summary>Whether this version records a deletion.</summary>
    public bool Deleted { get; init; }

    /// <summary>The resource's JSON with <c>meta.versionId</c> and <c>meta.lastUpdated</c> set (empty for a deletion).</summary>
    public string Json
    {
        get => _json ??= Encoding.UTF8.GetString(_utf8Json ?? []);
        init
        {
            _json = value;
            _utf8Json = null;
        }
    }

    /// <summary>The same JSON as UTF-8 bytes: what an answer sends and what a document stores.</summary>
    /// <exception cref="EncoderFallbackException">When the JSON holds a lone surrogate (no parser output does): it is refused, never stored as U+FFFD.</exception>
    public ReadOnlyMemory<byte> Utf8Json => _utf8Json ??= s_strictUtf8.GetBytes(_json ?? string.Empty);

    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The store's concurrency token of the current document (not the FHIR ETag).</summary>
    public string ETag { get; init; }

    /// <summary>When the next version replaced this one: read by backups, given by restores (null: current, or not read).</summary>
    public DateTimeOffset? SupersededAt { get; init; }

    /// <summary>The search index of a version being written (null for deletions and for versions read back).</summary>
    public ResourceIndex? Index { get; init; }

    /// <summary><c>Type/id</c>.</summary>
    public string Reference => $"{ResourceType}/{Id}";

    /// <summary>Same identity, version, time, deletion, ETag and JSON text.</summary>
    public bool Equals(StoredResource? other) =>
        other is not null && ResourceType == other.ResourceType && Id == other.Id && VersionId == other.VersionId && LastUpdated == other.LastUpdated
        && Deleted == other.Deleted && ETag == other.ETag && Json == other.Json && Equals(Index, other.Index);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(ResourceType, Id, VersionId, LastUpdated, Deleted, ETag);
}
