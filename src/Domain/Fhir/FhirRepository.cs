using System.Text.Json;
using System.Text.Json.Nodes;
using Hl7.Fhir.Model;

namespace Enclave.Domain.Fhir;

/// <summary>
/// The FHIR interactions of one caller's project: the project comes from the caller, never from the request,
/// so another project's resources are simply not there. Updates never lose a write: each one applies to the
/// version it read and retries when another write came first (unless the client pinned a version with If-Match).
/// </summary>
public sealed class FhirRepository(string projectId, IResourceStore store, TimeProvider time)
{
    private const int MaxAttempts = 20;

    /// <summary>An answer: the HTTP status, the resource version involved, or an outcome explaining a refusal.</summary>
    public sealed record Result(int Status, StoredResource? Resource = null, OperationOutcome? Outcome = null);

    /// <summary>create: a server-assigned id, version 1.</summary>
    public async Task<Result> CreateAsync(Resource resource, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(resource);
        resource.Id = Guid.NewGuid().ToString();
        var stored = await store.WriteAsync(projectId, Version(resource, 1), null, cancellationToken);
        return stored is null ? Conflict("A resource with this id already exists.") : new Result(201, stored);
    }

    /// <summary>read: the current version; 410 when it was deleted, 404 when it never existed here.</summary>
    public async Task<Result> ReadAsync(string resourceType, string id, CancellationToken cancellationToken)
    {
        var current = await store.ReadAsync(projectId, resourceType, id, cancellationToken);
        return current switch
        {
            null => NotFound(resourceType, id),
            { Deleted: true } => new Result(410, current, FhirErrors.Outcome(OperationOutcome.IssueType.Deleted, $"{resourceType}/{id} was deleted.")),
            _ => new Result(200, current),
        };
    }

    /// <summary>vread: one version (a point read).</summary>
    public async Task<Result> VersionReadAsync(string resourceType, string id, int versionId, CancellationToken cancellationToken)
    {
        var version = await store.ReadVersionAsync(projectId, resourceType, id, versionId, cancellationToken);
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
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var current = await store.ReadAsync(projectId, resource.TypeName, resource.Id, cancellationToken);
            if (await TryWriteAsync(resource, current, ifMatchVersion, cancellationToken) is { } result)
            {
                return result;
            }
        }

        return TooManyAttempts();
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
            var read = await ReadAsync(resourceType, id, cancellationToken);
            if (read.Status != 200)
            {
                return read;
            }

            var (patched, refusal) = apply(read.Resource!.Json);
            if (refusal is not null)
            {
                return new Result(400, null, refusal);
            }

            if (patched!.TypeName != resourceType || patched.Id != id)
            {
                return new Result(400, null, FhirErrors.Outcome(OperationOutcome.IssueType.Invalid, "A patch cannot change the resource type or id."));
            }

            if (await TryWriteAsync(patched, read.Resource, ifMatchVersion, cancellationToken) is { } result)
            {
                return result;
            }
        }

        return TooManyAttempts();
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
                $"If-Match asked for version {expected}; the current version is {current?.VersionId.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}."));
        }

        if (current is { Deleted: false } && SameContent(current.Json, resource))
        {
            return new Result(200, current);
        }

        var stored = await store.WriteAsync(projectId, Version(resource, (current?.VersionId ?? 0) + 1), current, cancellationToken);
        if (stored is not null)
        {
            return new Result(current is null ? 201 : 200, stored);
        }

        return ifMatchVersion is null
            ? null
            : new Result(412, null, FhirErrors.Outcome(OperationOutcome.IssueType.Conflict, "Another update came first."));
    }

    private static Result TooManyAttempts() =>
        new(409, null, FhirErrors.Outcome(OperationOutcome.IssueType.Conflict, "Too many concurrent updates; retry."));

    /// <summary>The largest history page.</summary>
    public const int MaxPageSize = 1000;

    /// <summary>history (instance, type or whole project): versions newest first, a page at a time.</summary>
    public Task<(IReadOnlyList<StoredResource> Versions, string? Next)> HistoryAsync(
        string? resourceType, string? id, DateTimeOffset? since, int count, string? page, CancellationToken cancellationToken) =>
        store.HistoryAsync(projectId, resourceType, id, since, Math.Clamp(count, 1, MaxPageSize), page, cancellationToken);

    /// <summary>delete: a new version that records the deletion; history keeps every version.</summary>
    public async Task<Result> DeleteAsync(string resourceType, string id, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var current = await store.ReadAsync(projectId, resourceType, id, cancellationToken);
            if (current is null || current.Deleted)
            {
                return new Result(204);
            }

            var deletion = new StoredResource(resourceType, id, current.VersionId + 1, time.GetUtcNow(), true, string.Empty, string.Empty);
            if (await store.WriteAsync(projectId, deletion, current, cancellationToken) is { } stored)
            {
                return new Result(204, stored);
            }
        }

        return TooManyAttempts();
    }

    private StoredResource Version(Resource resource, int versionId)
    {
        var now = time.GetUtcNow();
        resource.Meta ??= new Meta();
        resource.Meta.VersionId = versionId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        resource.Meta.LastUpdated = now;
        return new StoredResource(resource.TypeName, resource.Id!, versionId, now, false, JsonSerializer.Serialize(resource, ResourceParser.Options), string.Empty);
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

    private static Result NotFound(string type, string id) =>
        new(404, null, FhirErrors.Outcome(OperationOutcome.IssueType.NotFound, $"{type}/{id} is not known."));

    private static Result Conflict(string message) => new(409, null, FhirErrors.Outcome(OperationOutcome.IssueType.Conflict, message));

}
